import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import fc from 'fast-check';
import { execute, parse, type OperationDefinitionNode } from 'graphql';
import { compileQuery } from 'graphql-jit';
import { jitGateway, type Compile } from '../../src/graphql/jit-gateway';
import { buildGraphQLSchema } from '../../src/graphql/schema';
import { failure, success } from '../../src/sms/send-batch-sms.result';
import type { SmsService } from '../../src/sms/sms.service';
import { prepareBatch } from '../../src/sms/prepare-batch';
import type { SendBatchSmsInput } from '../../src/sms/send-batch-sms.input';
import { SMS_LIMIT_CEILINGS } from '../../src/sms/sms-limits';
import { SendBatchSmsErrorCode } from '../../src/sms/send-batch-sms-error-code.enum';
import { SEND_BATCH_SMS } from '../support/server';

// What the service makes of the input the resolver hands it: the checked batch (its upstream body or
// its field errors), the idempotency key, and the class of every object. graphql-jit gives an absent
// optional field as null where graphql-js leaves it out (graphql-jit #230); the service reads both
// alike, so this compares what it does with them rather than the raw objects.
const seen: string[] = [];
const classes = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(classes)
    : value && typeof value === 'object'
      ? {
          class: value.constructor?.name ?? null,
          ...Object.fromEntries(
            Object.entries(value)
              .filter(([, v]) => v != null)
              .map(([k, v]) => [k, classes(v)]),
          ),
        }
      : typeof value;
const service = {
  async sendBatch(input: SendBatchSmsInput) {
    seen.push(
      JSON.stringify({ prepared: prepareBatch(input, SMS_LIMIT_CEILINGS), key: input.idempotencyKey ?? null, classes: classes(input) }),
    );
    // Both members of the union, so both paths must resolve its type the same way.
    return input.taskContent.length % 2
      ? success({
          message: 'success',
          sessionNos: ['s-1'],
          failedTargetPhones: [{ phone: '13800138000', failureReason: 'blocked', templateParams: [] }],
          requestUuid: 'u-1',
        })
      : failure({ code: SendBatchSmsErrorCode.INVALID_INPUT, message: 'm', fieldErrors: [{ path: ['taskContent'], message: 'x' }] });
  },
} as unknown as SmsService;

const schema = buildGraphQLSchema(service);
// The resolver checks the caller may send, as the auth hook leaves it on every request.
const CONTEXT = { caller: { id: 'test', kind: 'api-key', canSend: true } };
const document = parse(SEND_BATCH_SMS);
const operation = document.definitions[0] as OperationDefinitionNode;

const compile = jest.fn<ReturnType<Compile>, Parameters<Compile>>((...args) => compileQuery(...args));
const gateway = jitGateway(schema, compile);
gateway.onSchemaLoadOrUpdate(() => {});
const executor = gateway.load({ apollo: {} }).then(({ executor }) => executor!);

async function viaGateway(variables: Record<string, unknown>) {
  const request = { document, operation, operationName: operation.name?.value ?? null, context: CONTEXT, request: { variables } };
  return (await executor)(request as unknown as GatewayGraphQLRequestContext);
}

// graphql-js's answer and what the service saw, then the gateway's: they must be the same.
async function bothWays(variables: Record<string, unknown>) {
  seen.length = 0;
  const js = JSON.parse(JSON.stringify(await execute({ schema, document, variableValues: variables, contextValue: CONTEXT })));
  const jsSaw = [...seen];
  seen.length = 0;
  const jit = JSON.parse(JSON.stringify(await viaGateway(variables)));
  return { js: { result: js, saw: jsSaw }, jit: { result: jit, saw: [...seen] } };
}

const text = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('13800138000', '+85255311111', ''));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.constant(null), fc.constant(undefined), fc.integer(), fc.constant({ x: 1 }));
const target = fc.record(
  { phone: maybe(text), templateParams: fc.oneof(fc.array(maybe(text), { maxLength: 3 }), fc.constant(null), text), extra: fc.constant(1) },
  { requiredKeys: [] },
);
const task = fc.record(
  { templateId: maybe(text), senderId: maybe(text), target: fc.oneof(fc.array(target, { maxLength: 4 }), target, fc.constant(null)) },
  { requiredKeys: [] },
);
const input = fc.record(
  { taskContent: fc.oneof(fc.array(task, { maxLength: 3 }), task, fc.constant('x')), idempotencyKey: maybe(text) },
  { requiredKeys: [] },
);

describe('jitGateway', () => {
  it('runs a document on graphql-js the first time, compiles it the second, and reuses it after', async () => {
    const variables = { input: { taskContent: [] } };
    await viaGateway(variables);
    expect(compile).not.toHaveBeenCalled();
    await viaGateway(variables);
    await viaGateway(variables);
    expect(compile).toHaveBeenCalledTimes(1);
  });

  it('answers a valid batch and hands the resolver the same input as graphql-js', async () => {
    const variables = {
      input: {
        taskContent: [
          { templateId: 't', senderId: 'S', target: [{ phone: '13800138000', templateParams: ['1'] }, { phone: '+85255311111' }] },
        ],
        idempotencyKey: 'k',
      },
    };
    const { js, jit } = await bothWays(variables);
    expect(js.result.errors).toBeUndefined();
    expect(js.result.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    expect(js.saw).toHaveLength(1);
    expect(jit).toEqual(js);
  });

  it("refuses malformed variables with graphql-js's own errors, naming $input and the path", async () => {
    const { js, jit } = await bothWays({ input: { taskContent: [{ templateId: 't', senderId: 'S', target: [{ phone: 1 }] }] } });
    expect(js.result.errors[0].message).toMatch(/^Variable "\$input" got invalid value 1 at "input\.taskContent\[0\]\.target\[0\]\.phone"/);
    expect(jit).toEqual(js);
  });

  it('gives the same answer as graphql-js on generated variables, valid or not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.record({ input }), fc.record({ input: maybe(input) }, { requiredKeys: [] })), async (variables) => {
        const { js, jit } = await bothWays(variables);
        expect(jit).toEqual(js);
      }),
      { numRuns: 400 },
    );
  });
});
