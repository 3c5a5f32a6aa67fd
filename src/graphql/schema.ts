import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema, type GraphQLUnionType } from 'graphql';
import { buildSchemaSync, type ContainerType } from 'type-graphql';
import { SmsResolver } from '../sms/sms.resolver';
import { SendBatchSmsSuccess } from '../sms/send-batch-sms.result';
import type { SmsLookupService } from '../sms/sms-lookup.service';
import { SmsLookupResolver } from '../sms/sms-lookup.resolver';
import type { SmsService } from '../sms/sms.service';

/** Builds the GraphQL schema. Without services it still builds, for printing the SDL. */
export function buildGraphQLSchema(sms?: SmsService, lookups?: SmsLookupService): GraphQLSchema {
  const instances = new Map<unknown, unknown>();
  if (sms) instances.set(SmsResolver, new SmsResolver(sms));
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
  // does not await one, so the union gets a plain synchronous one.
  (schema.getType('SendBatchSmsResult') as GraphQLUnionType).resolveType = (value) =>
    value instanceof SendBatchSmsSuccess ? 'SendBatchSmsSuccess' : 'SendBatchSmsError';
  return schema;
}

/** The committed SDL: sorted, so the file changes only when the schema does. */
export function printGraphQLSchema(schema: GraphQLSchema = buildGraphQLSchema()): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
