import 'reflect-metadata';
import { isUnionType, lexicographicSortSchema, printSchema, type GraphQLSchema, type GraphQLUnionType } from 'graphql';
import { buildSchemaSync, type ContainerType } from 'type-graphql';
import { SmsResolver } from '../sms/sms.resolver';
import { SendBatchSmsSuccess } from '../sms/send-batch-sms.result';
import { SmsDeliveryStatus } from '../sms/sms-delivery-status.result';
import { SmsTemplateList } from '../sms/sms-templates.result';
import type { SmsLookupService } from '../sms/sms-lookup.service';
import { SmsLookupResolver } from '../sms/sms-lookup.resolver';
import type { SmsService } from '../sms/sms.service';
import type { SendBatchSmsInput } from '../sms/send-batch-sms.input';
import type { GraphQLContext } from './context';

// Each result union: the class of its success member (the other member is the error).
const SUCCESS_MEMBERS: readonly (readonly [string, abstract new () => object])[] = [
  ['SendBatchSmsResult', SendBatchSmsSuccess],
  ['SmsDeliveryStatusResult', SmsDeliveryStatus],
  ['SmsTemplatesResult', SmsTemplateList],
];

function synchronousResolveType(union: GraphQLUnionType, Success: abstract new () => object): void {
  const members = union.getTypes().map((type) => type.name);
  const success = members.find((member) => member === Success.name);
  const error = members.find((member) => member !== Success.name);
  if (members.length !== 2 || !success || !error) throw new Error(`${union.name}: expected ${Success.name} and one error type`);
  union.resolveType = (value) => (value instanceof Success ? success : error);
}

/** Builds the GraphQL schema. Without services it still builds, for printing the SDL. */
export function buildGraphQLSchema(sms?: SmsService, lookups?: SmsLookupService): GraphQLSchema {
  const instances = new Map<unknown, unknown>();
  const smsResolver = sms && new SmsResolver(sms);
  if (smsResolver) instances.set(SmsResolver, smsResolver);
  if (lookups) instances.set(SmsLookupResolver, new SmsLookupResolver(lookups));
  const container: ContainerType = {
    get: (someClass) => {
      const instance = instances.get(someClass);
      if (instance) return instance;
      throw new Error(`No instance for ${String((someClass as { name?: string }).name)}`);
    },
  };
  // Validation runs in the service, so rule breaks become a typed INVALID_INPUT result rather than a
  // top-level error that would echo the input back.
  const schema = buildSchemaSync({ resolvers: [SmsResolver, SmsLookupResolver], container, validate: false });
  // type-graphql wraps a union's resolveType in an async function; graphql-jit (see jit-gateway.ts)
  // does not await one, so each union gets a plain synchronous one.
  for (const [name, Success] of SUCCESS_MEMBERS) synchronousResolveType(schema.getType(name) as GraphQLUnionType, Success);
  // type-graphql copies every argument into instances of its input classes before a resolver runs:
  // at 1000 targets, 1000 class instances and their garbage, about a tenth of the mutation's CPU. The
  // mutation takes its input as GraphQL coerced it (fresh plain objects holding exactly the schema's
  // fields), and prepareBatch checks every rule itself.
  if (smsResolver) {
    schema.getMutationType()!.getFields().sendBatchSms.resolve = (_root, args: { input: SendBatchSmsInput }, context: GraphQLContext) =>
      smsResolver.sendBatchSms(args.input, context);
  }
  return schema;
}

/**
 * Apollo Client's `possibleTypes`: each union's members, sorted, in the form GraphQL Code Generator's
 * fragment-matcher writes (`schema/possible-types.json`).
 */
export function printPossibleTypes(schema: GraphQLSchema = buildGraphQLSchema()): string {
  const possibleTypes: Record<string, string[]> = {};
  for (const type of Object.values(schema.getTypeMap()).sort((a, b) => a.name.localeCompare(b.name))) {
    if (isUnionType(type)) {
      possibleTypes[type.name] = type
        .getTypes()
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
