import 'reflect-metadata';
import { isAbstractType, isUnionType, lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchemaSync, getMetadataStorage, type ContainerType } from 'type-graphql';
import type { DeliveryFollower } from '../sms/follow/delivery-follower';
import { SmsDeliveryUpdatesResolver } from '../sms/follow/sms-delivery-updates.resolver';
import type { DeliveryStatusService } from '../sms/lookups/delivery-status.service';
import { SmsLookupsResolver } from '../sms/lookups/sms-lookups.resolver';
import type { TemplatesService } from '../sms/lookups/templates.service';
import type { SmsLimits } from '../sms/limits/sms-limits.result';
import { SmsLimitsResolver } from '../sms/limits/sms-limits.resolver';
import type { SendPreviewService } from '../sms/preview/send-preview.service';
import { SmsSendPreviewResolver } from '../sms/preview/sms-send-preview.resolver';
import type { SendBatchService } from '../sms/send/send-batch.service';
import { SendBatchSmsResolver } from '../sms/send/send-batch-sms.resolver';
import type { SendBatchSmsInput } from '../sms/send/send-batch-sms.input';
import type { GraphQLContext } from './context';

/** What the resolvers are built from. */
export interface SchemaServices {
  send: SendBatchService;
  preview: SendPreviewService;
  deliveryStatus: DeliveryStatusService;
  follower: DeliveryFollower;
  templates: TemplatesService;
  limits: SmsLimits;
}

/**
 * Every resolver, and how it is built from the services. A new resolver is one entry here; its own
 * file declares its fields (and its union, with the union's `resolveType`).
 */
const RESOLVERS = [
  [SendBatchSmsResolver, (s: SchemaServices) => new SendBatchSmsResolver(s.send)],
  [SmsLimitsResolver, (s: SchemaServices) => new SmsLimitsResolver(s.limits)],
  [SmsLookupsResolver, (s: SchemaServices) => new SmsLookupsResolver(s.deliveryStatus, s.templates)],
  [SmsSendPreviewResolver, (s: SchemaServices) => new SmsSendPreviewResolver(s.preview)],
  [SmsDeliveryUpdatesResolver, (s: SchemaServices) => new SmsDeliveryUpdatesResolver(s.follower)],
] as const;

/**
 * type-graphql requires a PubSub for any subscription; ours follow uSpeedo, not topics (their
 * subscribe function is installed below), so this one is never asked.
 */
const NO_TOPICS = {
  publish: () => {},
  subscribe: () => {
    throw new Error('subscriptions here have no topics');
  },
};

/**
 * Installs each union's own `resolveType` (as declared with `createUnionType`) directly. type-graphql
 * wraps it in an async function, and graphql-jit (see jit-gateway.ts) does not await one: a document
 * selecting the union would break from its second run. A declared one that answers a Promise throws.
 */
function synchronousResolveTypes(schema: GraphQLSchema): void {
  const storage = getMetadataStorage();
  const graphqlName = (target: unknown) => storage.objectTypes.find((type) => type.target === target)?.name;
  for (const { name, resolveType } of storage.unions) {
    const union = schema.getType(name);
    if (!isUnionType(union) || !resolveType) continue;
    union.resolveType = (value, context, info, abstractType) => {
      const resolved: unknown = resolveType(value, context, info, abstractType);
      const answer = typeof resolved === 'string' ? resolved : graphqlName(resolved);
      if (!answer) throw new Error(`${name}'s resolveType must answer a member synchronously`);
      return answer;
    };
  }
}

/** Builds the GraphQL schema. Without services it still builds, for printing the SDL (and a test may give only some). */
export function buildGraphQLSchema(services: Partial<SchemaServices> = {}): GraphQLSchema {
  const instances = new Map<unknown, unknown>();
  const container: ContainerType = {
    get: (someClass) => {
      if (!instances.has(someClass)) {
        const entry = RESOLVERS.find(([resolver]) => resolver === someClass);
        if (!entry) throw new Error(`No resolver ${String((someClass as { name?: string }).name)}`);
        instances.set(someClass, entry[1](services as SchemaServices));
      }
      return instances.get(someClass);
    },
  };
  // Validation runs in the service, so rule breaks become a typed INVALID_INPUT result rather than a
  // top-level error that would echo the input back.

  const [first, ...rest] = RESOLVERS.map(([resolver]) => resolver);
  const schema = buildSchemaSync({ resolvers: [first, ...rest], container, validate: false, pubSub: NO_TOPICS });
  synchronousResolveTypes(schema);
  // type-graphql copies every argument into instances of its input classes before a resolver runs, one
  // per target (bench/README.md, round two). The mutation takes its input as GraphQL coerced it (fresh
  // plain objects holding exactly the schema's fields), and prepareBatch checks every rule itself.
  if (services.send) {
    const send = container.get(SendBatchSmsResolver, {} as never) as SendBatchSmsResolver;
    schema.getMutationType()!.getFields().sendBatchSms.resolve = (_root, args: { input: SendBatchSmsInput }, context: GraphQLContext) =>
      send.sendBatchSms(args.input, context);
  }
  if (services.preview) {
    const preview = container.get(SmsSendPreviewResolver, {} as never) as SmsSendPreviewResolver;
    schema.getQueryType()!.getFields().smsSendPreview.resolve = (_root, args: { input: SendBatchSmsInput }, context: GraphQLContext) =>
      preview.smsSendPreview(args.input, context);
  }
  if (services.follower) {
    const updates = container.get(SmsDeliveryUpdatesResolver, {} as never) as SmsDeliveryUpdatesResolver;
    const field = schema.getSubscriptionType()!.getFields().smsDeliveryUpdates;
    field.subscribe = (_root, args: { sessionNos: string[] }, context: GraphQLContext) => updates.follow(args.sessionNos, context);
    field.resolve = (update: unknown) => update;
  }
  return schema;
}

/**
 * Apollo Client's `possibleTypes`: each union's members and each interface's implementations, sorted, in the form GraphQL Code Generator's
 * fragment-matcher writes (`schema/possible-types.json`).
 */
export function printPossibleTypes(schema: GraphQLSchema = buildGraphQLSchema()): string {
  const possibleTypes: Record<string, string[]> = {};
  for (const type of Object.values(schema.getTypeMap()).sort((a, b) => a.name.localeCompare(b.name))) {
    if (isAbstractType(type) && !type.name.startsWith('__')) {
      possibleTypes[type.name] = schema
        .getPossibleTypes(type)
        .map((member) => member.name)
        .sort();
    }
  }
  return `${JSON.stringify({ possibleTypes }, null, 2)}\n`;
}

/** The committed SDL: sorted, so the file changes only when the schema does. */
export function printGraphQLSchema(schema: GraphQLSchema = buildGraphQLSchema()): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
