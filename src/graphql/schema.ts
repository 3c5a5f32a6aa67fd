import 'reflect-metadata';
import { isAbstractType, isUnionType, lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchemaSync, getMetadataStorage, type ContainerType } from 'type-graphql';
import { SmsResolver } from '../sms/sms.resolver';
import type { SmsLookupService } from '../sms/sms-lookup.service';
import { SmsLookupResolver } from '../sms/sms-lookup.resolver';
import type { SmsService } from '../sms/sms.service';
import type { SendBatchSmsInput } from '../sms/send-batch-sms.input';
import type { GraphQLContext } from './context';

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
  synchronousResolveTypes(schema);
  // type-graphql copies every argument into instances of its input classes before a resolver runs, one
  // per target (its cost: bench/README.md, round two). The mutation takes its input as GraphQL coerced
  // it (fresh plain objects holding exactly the schema's fields), and prepareBatch checks every rule itself.
  if (smsResolver) {
    schema.getMutationType()!.getFields().sendBatchSms.resolve = (_root, args: { input: SendBatchSmsInput }, context: GraphQLContext) =>
      smsResolver.sendBatchSms(args.input, context);
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
