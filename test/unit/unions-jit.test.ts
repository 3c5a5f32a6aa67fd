import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { GraphQLObjectType, GraphQLSchema, isUnionType, parse, type GraphQLUnionType, type OperationDefinitionNode } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { jitGateway } from '../../src/graphql/jit-gateway';
import { buildGraphQLSchema } from '../../src/graphql/schema';

// Every union of the built schema, each member through the jit path three times: graphql-jit does not
// await an async resolveType, and the gateway compiles a document only from its second run, so a
// union left with type-graphql's async one answers its first run and breaks after.
const schema = buildGraphQLSchema();
const unions = Object.values(schema.getTypeMap()).filter(isUnionType);
const classOf = (name: string) =>
  getMetadataStorage().objectTypes.find((type) => type.name === name)?.target as (new () => object) | undefined;

/** A schema whose one query field answers `value` as `union`, run three times through the jit gateway. */
async function threeRuns(union: GraphQLUnionType, value: object, selection: string): Promise<unknown[]> {
  const probe = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { probe: { type: union, resolve: () => value } } }),
  });
  const gateway = jitGateway(probe);
  gateway.onSchemaLoadOrUpdate(() => {});
  const { executor } = await gateway.load({ apollo: {} });
  const document = parse(`query Probe { probe { ${selection} } }`);
  const operation = document.definitions[0] as OperationDefinitionNode;
  const request = { document, operation, operationName: 'Probe', context: {}, request: { variables: {} } };
  const answers: unknown[] = [];
  for (let run = 0; run < 3; run++) answers.push(await executor!(request as unknown as GatewayGraphQLRequestContext));
  return answers;
}

const unionNamed = (name: string): GraphQLUnionType => {
  const union = schema.getType(name);
  if (!isUnionType(union)) throw new Error(`${name} is not a union`);
  return union;
};

describe('every result union on the jit path', () => {
  it('finds the unions', () => {
    expect(unions.map((union) => union.name).sort()).toEqual(
      expect.arrayContaining(['SendBatchSmsResult', 'SmsDeliveryStatusResult', 'SmsTemplatesResult']),
    );
  });

  it.each(unions.flatMap((union) => union.getTypes().map((member) => [union.name, member.name] as const)))(
    '%s answers %s on every run',
    async (unionName, memberName) => {
      const Member = classOf(memberName);
      expect(Member).toBeDefined();
      const answers = await threeRuns(unionNamed(unionName), Object.create(Member!.prototype) as object, '__typename');
      expect(answers).toEqual(Array(3).fill({ data: { probe: { __typename: memberName } } }));
    },
  );

  it.each(['SendBatchSmsResult', 'SmsDeliveryStatusResult', 'SmsTemplatesResult'])(
    '%s: its error selected once through the SmsError interface, on every run',
    async (unionName) => {
      const union = unionNamed(unionName);
      const error = union.getTypes().find((member) => member.getInterfaces().some((i) => i.name === 'SmsError'))!;
      const value = Object.assign(Object.create(classOf(error.name)!.prototype) as object, {
        message: 'm',
        retryable: true,
        fieldErrors: [],
      });
      const answers = await threeRuns(union, value, '__typename ... on SmsError { message retryable fieldErrors { path } }');
      expect(answers).toEqual(
        Array(3).fill({ data: { probe: { __typename: error.name, message: 'm', retryable: true, fieldErrors: [] } } }),
      );
    },
  );
});
