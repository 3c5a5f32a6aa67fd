import 'reflect-metadata';
import { isAbstractType, isUnionType, lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchemaSync, getMetadataStorage, type ContainerType } from 'type-graphql';
import type { BuiltFeature } from '../sms/feature';
import { FEATURES } from '../sms/features';
import type { GraphQLContext } from './context';

/**
 * type-graphql requires a PubSub for any subscription; ours take their events from `subscribe`
 * (`subscribeFromContext`), not from topics, so this one is never asked.
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

/**
 * Builds the GraphQL schema from the feature list: every feature's resolvers, their instances from the
 * built features. Without them it still builds, for printing the SDL. A root field a feature takes with
 * its arguments as GraphQL coerced them (`coercedArgs`) is resolved by that function.
 */
export function buildGraphQLSchema(built: readonly BuiltFeature[] = []): GraphQLSchema {
  const instances = new Map(built.flatMap((feature) => feature.resolvers));
  const container: ContainerType = {
    get: (someClass) => {
      const instance = instances.get(someClass as never);
      if (!instance) throw new Error(`No resolver ${String((someClass as { name?: string }).name)}`);
      return instance;
    },
  };
  // Validation runs in the services, so rule breaks become a typed INVALID_INPUT result rather than a
  // top-level error that would echo the input back.
  const [first, ...rest] = FEATURES.flatMap((feature) => feature.resolvers);
  const schema = buildSchemaSync({ resolvers: [first, ...rest], container, validate: false, pubSub: NO_TOPICS });
  synchronousResolveTypes(schema);
  const roots = [schema.getQueryType(), schema.getMutationType()];
  for (const [name, resolve] of built.flatMap((feature) => Object.entries(feature.coercedArgs ?? {}))) {
    const field = roots.map((root) => root?.getFields()[name]).find((found) => found !== undefined);
    if (!field) throw new Error(`coercedArgs names ${name}, which is no query or mutation`);
    field.resolve = (_root, args: Record<string, unknown>, context: GraphQLContext) => resolve(args, context);
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
