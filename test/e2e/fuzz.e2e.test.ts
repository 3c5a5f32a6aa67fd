import fc from 'fast-check';
import { useFakeUspeedo } from '../support/fake-uspeedo';
import { SEND_BATCH_SMS, startServer, type TestServer } from '../support/server';

const upstream = useFakeUspeedo();
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ USPEEDO_BASE_URL: upstream.url, LOG_LEVEL: 'warn' });
});
afterAll(async () => {
  await server.close();
});

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('0', '1', '8', '+', '(', ')', ' ', '-', '\u0000', '\u202e', '８'), maxLength: 20 }),
  fc.constantFrom('', ' ', '13800138000', '+85255311111', '(852)55311111', '1'.repeat(5000), '\u{1F600}'.repeat(300)),
);
const anything = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    text,
    fc.integer(),
    fc.double(),
    fc.constantFrom(null, true, Number.MAX_SAFE_INTEGER, -1, 1e308),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

// Structurally plausible batches with hostile values, and plain garbage in every position.
const target = fc.record(
  {
    phone: fc.oneof(text, anything),
    templateParams: fc.oneof(fc.constant(null), fc.array(fc.oneof(text, anything), { maxLength: 25 }), anything),
  },
  { requiredKeys: [] },
);
const task = fc.record(
  {
    templateId: fc.oneof(text, anything),
    senderId: fc.oneof(text, anything),
    target: fc.oneof(fc.array(target, { maxLength: 5 }), anything),
  },
  { requiredKeys: [] },
);
const input = fc.oneof(
  fc.record(
    { taskContent: fc.oneof(fc.array(task, { maxLength: 3 }), anything), idempotencyKey: fc.oneof(fc.constant(undefined), text, anything) },
    { requiredKeys: [] },
  ),
  anything,
);

describe('fuzzed input', () => {
  it('never gets a 500 and never reaches uSpeedo unless the answer says it was sent', async () => {
    await fc.assert(
      fc.asyncProperty(input, async (value) => {
        upstream.reset();
        const { status, body } = await server.gql(SEND_BATCH_SMS, { input: value });
        expect([200, 400]).toContain(status);
        const result = body.data?.sendBatchSms;
        if (result?.__typename !== 'SendBatchSmsSuccess') expect(upstream.calls).toHaveLength(0);
        if (status === 400) expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
        if (result?.__typename === 'SendBatchSmsError') expect(result.code).toBe('INVALID_INPUT');
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  it('never gets a 500 for arbitrary documents, deep nesting included', async () => {
    const deep = fc.integer({ min: 1, max: 3000 }).map((n) => `{ ${'a { '.repeat(n)}b${' }'.repeat(n)} }`);
    const document = fc.oneof(
      fc.string(),
      fc.string({ unit: fc.constantFrom('{', '}', '(', ')', '$', ':', 'a', ' ', '"', '@', '.', '!') }),
      deep,
    );
    await fc.assert(
      fc.asyncProperty(document, async (query) => {
        const { status } = await server.fetch('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
        });
        expect(status).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
    expect(upstream.calls.length).toBe(0);
  }, 60_000);
});
