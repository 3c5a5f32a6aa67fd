import { OPERATION_LIMITS } from '../../src/graphql/operation-limits';
import { useFakeUspeedo } from '../support/fake-uspeedo';
import { batch, startServer, type TestServer } from '../support/server';

const upstream = useFakeUspeedo();
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ USPEEDO_BASE_URL: upstream.url });
});
afterAll(async () => {
  await server.close();
});

const input = batch([{ phone: '13800138000' }]).input;

async function refused(query: string, variables: Record<string, unknown>, message: RegExp) {
  const { status, body } = await server.gql(query, variables);
  expect(status).toBe(400);
  expect(body.errors[0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  expect(body.data).toBeUndefined();
  expect(upstream.calls).toHaveLength(0);
}

describe('the shape of an operation', () => {
  it('refuses two sends in one operation through aliases, sending neither', async () => {
    await refused(
      'mutation($a: SendBatchSmsInput!, $b: SendBatchSmsInput!) { a: sendBatchSms(input: $a) { __typename } b: sendBatchSms(input: $b) { __typename } }',
      { a: input, b: input },
      /at most one sendBatchSms/,
    );
  });

  it('refuses a second send hidden in a fragment or an inline fragment', async () => {
    await refused(
      'mutation($a: SendBatchSmsInput!) { ...More ... on Mutation { c: sendBatchSms(input: $a) { __typename } } sendBatchSms(input: $a) { __typename } } fragment More on Mutation { b: sendBatchSms(input: $a) { __typename } }',
      { a: input },
      /at most one sendBatchSms/,
    );
  });

  it('allows the same field twice under one response key: GraphQL runs it once', async () => {
    const { body } = await server.gql(
      'mutation($a: SendBatchSmsInput!) { sendBatchSms(input: $a) { __typename } sendBatchSms(input: $a) { __typename } }',
      { a: input },
    );
    expect(body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    expect(upstream.calls).toHaveLength(1);
  });

  it(`refuses operations deeper than ${OPERATION_LIMITS.maxDepth}`, async () => {
    const deep = `{ ${'a { '.repeat(OPERATION_LIMITS.maxDepth + 2)}b${' }'.repeat(OPERATION_LIMITS.maxDepth + 2)} }`;
    const { status, body } = await server.gql(deep);
    expect(status).toBe(400);
    expect(body.errors.map((e: { message: string }) => e.message).join('\n')).toMatch(/depth limit of 8 exceeded/);
  });

  it(`refuses more than ${OPERATION_LIMITS.maxAliases} aliases`, async () => {
    const aliases = Array.from({ length: OPERATION_LIMITS.maxAliases + 1 }, (_, i) => `l${i}: smsLimits { maxTargetsPerRequest }`).join(
      ' ',
    );
    await refused(`{ ${aliases} }`, {}, /aliases/i);
  });

  it('passes a 1000-target batch sent as variables', async () => {
    const target = Array.from({ length: 1000 }, (_, i) => ({ phone: `1380013${String(i).padStart(4, '0')}`, templateParams: ['1234'] }));
    const { status, body } = await server.gql(
      'mutation($input: SendBatchSmsInput!) { sendBatchSms(input: $input) { __typename } }',
      batch(target),
    );
    expect(status).toBe(200);
    expect(body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    expect(upstream.calls).toHaveLength(1);
  });

  // The README documents these numbers: an inline literal costs tokens, variables do not.
  const inline = (targets: number) => {
    const target = Array.from({ length: targets }, (_, i) => `{ phone: "1380013${String(i).padStart(4, '0')}", templateParams: ["1234"] }`);
    return `mutation { sendBatchSms(input: { taskContent: [{ templateId: "t", senderId: "S", target: [${target.join(', ')}] }] }) { __typename } }`;
  };

  it('passes an inline-literal batch of 95 targets with one parameter each, and refuses 100', async () => {
    const ok = await server.gql(inline(95));
    expect(ok.body.data?.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    const { status, body } = await server.gql(inline(100));
    expect(status).toBe(400);
    expect(body.errors[0]).toMatchObject({
      message: expect.stringMatching(/more tha\w* 1000 tokens/),
      extensions: { code: 'GRAPHQL_PARSE_FAILED' },
    });
    expect(upstream.calls).toHaveLength(1);
  });
});

describe('field suggestions and echoed values', () => {
  it('are given on a development server (the simulator) and hidden on a hardened one, introspection or not', async () => {
    const typo = '{ smsLimit { maxTargetsPerRequest } }';
    const development = await startServer({ USPEEDO_SIMULATOR: 'true' });
    try {
      expect((await development.gql(typo)).body.errors[0].message).toMatch(/Did you mean/);
    } finally {
      await development.close();
    }
    // The shared server has live credentials, and introspection on.
    expect((await server.gql(typo)).body.errors[0].message).toBe('Cannot query field "smsLimit" on type "Query".');
    const prod = await startServer({ NODE_ENV: 'production', AUTH_DISABLED: 'true', USPEEDO_BASE_URL: upstream.url });
    try {
      const { status, body } = await prod.gql(typo);
      expect(status).toBe(400);
      expect(body.errors[0].message).not.toMatch(/Did you mean|smsLimits/);
    } finally {
      await prod.close();
    }
  });

  it("names a bad variable's path and rule on a hardened server, never its value, and suggests nothing", async () => {
    const send = 'mutation S($input: SendBatchSmsInput!) { sendBatchSms(input: $input) { __typename } }';
    const target = { phone: '+8613912345699', templateParams: ['PARAMINERR'], extra: 1 };
    const input = { taskContent: [{ templateId: 'T', senderId: 'S', target: [target] }], idempotencyKey: 7 };
    const { status, body } = await server.gql(send, { input });
    expect(status).toBe(400);
    const text = JSON.stringify(body);
    for (const value of ['8613912345699', 'PARAMINERR', 'Did you mean']) expect(text).not.toContain(value);
    expect(body.errors.map((e: { message: string }) => e.message)).toEqual([
      'Variable "$input" got an invalid value at "input.taskContent[0].target[0]"; Field "extra" is not defined by type "SmsTargetInput".',
      'Variable "$input" got an invalid value at "input.idempotencyKey"; String cannot represent a non string value.',
    ]);
    const typed = await server.gql(send, {
      input: { taskContent: [{ templateId: 'T', senderId: 'S', target: [{ phone: 13912345699 }] }] },
    });
    expect(typed.body.errors[0].message).toBe(
      'Variable "$input" got an invalid value at "input.taskContent[0].target[0].phone"; String cannot represent a non string value.',
    );
    expect(upstream.calls).toHaveLength(0);
  });
});
