import { SendBatchSmsResolver } from '../../src/sms/send/send-batch-sms.resolver';
import { SmsLookupsResolver } from '../../src/sms/lookups/sms-lookups.resolver';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import fc from 'fast-check';
import { execute, getIntrospectionQuery, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { compileQuery } from 'graphql-jit';
import { jitGateway, type Compile } from '../../src/graphql/jit-gateway';
import { buildGraphQLSchema } from '../../src/graphql/schema';
import { failure, success } from '../../src/sms/send/send-batch-sms.result';
import type { SendBatchService } from '../../src/sms/send/send-batch.service';
import { prepareBatch } from '../../src/sms/send/prepare-batch';
import type { SendBatchSmsInput } from '../../src/sms/send/send-batch-sms.input';
import { SMS_LIMIT_CEILINGS } from '../../src/sms/shared/sms-limits';
import { SendBatchSmsErrorCode } from '../../src/sms/send/send-batch-sms-error-code.enum';
import { SmsDeliveryStatus, SmsReceiptStatus } from '../../src/sms/lookups/sms-delivery-status.result';
import type { DeliveryStatusService } from '../../src/sms/lookups/delivery-status.service';
import type { TemplatesService } from '../../src/sms/lookups/templates.service';
import { queryError, type SmsQueryError } from '../../src/sms/lookups/sms-query-error.result';
import { SmsQueryErrorCode } from '../../src/sms/lookups/sms-query-error-code.enum';
import { SmsTemplateList } from '../../src/sms/lookups/sms-templates.result';
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
          failedTargetPhones: [
            {
              phone: '13800138000',
              failureReason: 'blocked',
              templateParams: [],
              e164: '+8613800138000',
              path: ['taskContent', '0', 'target', '0'],
            },
          ],
          requestUuid: 'u-1',
        })
      : failure({ code: SendBatchSmsErrorCode.INVALID_INPUT, message: 'm', fieldErrors: [{ path: ['taskContent'], message: 'x' }] });
  },
} as unknown as SendBatchService;

const sendResolver = new SendBatchSmsResolver(service);
const schema = buildGraphQLSchema([
  {
    resolvers: [[SendBatchSmsResolver, sendResolver]],
    coercedArgs: { sendBatchSms: (args, context) => sendResolver.sendBatchSms(args.input as never, context) },
  },
]);
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

// Queries run on jit too (introspection excepted): the same answers as graphql-js, both union members,
// every receipt field, nulls, enums and dates.
describe('jitGateway on queries', () => {
  const receipt = fc.record({
    phone: text,
    status: fc.constantFrom(...Object.values(SmsReceiptStatus)),
    receiptCode: fc.option(text, { nil: null }),
    description: fc.option(text, { nil: null }),
    billedSegments: fc.option(fc.integer({ min: 0, max: 9 }), { nil: null }),
    receivedAt: fc.option(fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }), { nil: null }),
    countryCode: fc.option(text, { nil: null }),
  });
  const session = fc.record({ sessionNo: text, known: fc.boolean(), receipts: fc.array(receipt, { maxLength: 3 }) });
  const answer = fc.oneof(
    fc.record({ sessions: fc.array(session, { maxLength: 4 }), requestUuid: fc.option(text, { nil: null }) }),
    fc.constant(null),
  );
  let next: Parameters<typeof toResult>[0] = null;
  function toResult(plain: { sessions: unknown[]; requestUuid: string | null } | null): SmsDeliveryStatus | SmsQueryError {
    return plain
      ? Object.assign(new SmsDeliveryStatus(), plain)
      : queryError({ code: SmsQueryErrorCode.RATE_LIMITED, message: 'm', retryable: true, retryAfterSeconds: 3 });
  }
  const deliveryStatus = {
    async deliveryStatus() {
      return toResult(next);
    },
  } as unknown as DeliveryStatusService;
  const templates = {
    async templates() {
      return Object.assign(new SmsTemplateList(), { templates: [], missingTemplateIds: ['x'], requestUuid: null });
    },
  } as unknown as TemplatesService;
  const querySchema = buildGraphQLSchema([{ resolvers: [[SmsLookupsResolver, new SmsLookupsResolver(deliveryStatus, templates)]] }]);
  const queryCompile = jest.fn<ReturnType<Compile>, Parameters<Compile>>((...args) => compileQuery(...args));
  const queryGateway = jitGateway(querySchema, queryCompile);
  queryGateway.onSchemaLoadOrUpdate(() => {});
  const queryExecutor = queryGateway.load({ apollo: {} }).then(({ executor }) => executor!);
  const STATUS = parse(
    'query S($ids: [String!]!) { smsDeliveryStatus(sessionNos: $ids) { __typename ... on SmsDeliveryStatus { requestUuid sessions { sessionNo known receipts { phone status receiptCode description billedSegments receivedAt countryCode } } } ... on SmsQueryError { code message retryable retryAfterSeconds fieldErrors { path message } } } smsTemplates(templateIds: ["x"]) { __typename ... on SmsTemplateList { missingTemplateIds } } }',
  );

  async function queryBothWays(document: DocumentNode, variables: Record<string, unknown>) {
    const js = JSON.parse(
      JSON.stringify(await execute({ schema: querySchema, document, variableValues: variables, contextValue: CONTEXT })),
    );
    const operation = document.definitions[0] as OperationDefinitionNode;
    const request = { document, operation, operationName: operation.name?.value ?? null, context: CONTEXT, request: { variables } };
    const jit = JSON.parse(JSON.stringify(await (await queryExecutor)(request as unknown as GatewayGraphQLRequestContext)));
    return { js, jit };
  }

  it('compiles a query on its second run, and gives the same answers as graphql-js on generated receipts', async () => {
    next = null;
    await queryBothWays(STATUS, { ids: ['a'] });
    expect(queryCompile).not.toHaveBeenCalled();
    await fc.assert(
      fc.asyncProperty(answer, fc.array(text, { maxLength: 3 }), async (plain, ids) => {
        next = plain;
        const { js, jit } = await queryBothWays(STATUS, { ids });
        expect(js.errors).toBeUndefined();
        expect(jit).toEqual(js);
      }),
      { numRuns: 200 },
    );
    expect(queryCompile).toHaveBeenCalledTimes(1);
  });

  it('leaves introspection on graphql-js, however often it runs', async () => {
    const introspection = parse(getIntrospectionQuery());
    queryCompile.mockClear();
    for (let i = 0; i < 3; i++) {
      const { js, jit } = await queryBothWays(introspection, {});
      expect(jit).toEqual(js);
    }
    const nested = parse(
      'query N { smsTemplates(templateIds: ["x"]) { __typename } ...T } fragment T on Query { __type(name: "SmsReceipt") { name } }',
    );
    for (let i = 0; i < 3; i++) await queryBothWays(nested, {});
    expect(queryCompile).not.toHaveBeenCalled();
  });
});
