import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { GraphQLObjectType, GraphQLSchema, isUnionType, parse, type OperationDefinitionNode } from 'graphql';
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
      const probe = new GraphQLSchema({
        query: new GraphQLObjectType({
          name: 'Query',
          fields: { probe: { type: schema.getType(unionName) as never, resolve: () => Object.create(Member!.prototype) as object } },
        }),
      });
      const gateway = jitGateway(probe);
      gateway.onSchemaLoadOrUpdate(() => {});
      const { executor } = await gateway.load({ apollo: {} });
      const document = parse('query Probe { probe { __typename } }');
      const operation = document.definitions[0] as OperationDefinitionNode;
      for (let run = 0; run < 3; run++) {
        const request = { document, operation, operationName: 'Probe', context: {}, request: { variables: {} } };
        expect(await executor!(request as unknown as GatewayGraphQLRequestContext)).toEqual({
          data: { probe: { __typename: memberName } },
        });
      }
    },
  );

  it.each(['SendBatchSmsResult', 'SmsDeliveryStatusResult', 'SmsTemplatesResult'])(
    '%s: its error selected once through the SmsError interface, on every run',
    async (unionName) => {
      const union = schema.getType(unionName);
      if (!isUnionType(union)) throw new Error(`${unionName} is not a union`);
      const error = union.getTypes().find((member) => member.getInterfaces().some((i) => i.name === 'SmsError'))!;
      const value = Object.assign(Object.create(classOf(error.name)!.prototype) as object, {
        message: 'm',
        retryable: true,
        fieldErrors: [],
      });
      const probe = new GraphQLSchema({
        query: new GraphQLObjectType({ name: 'Query', fields: { probe: { type: union, resolve: () => value } } }),
      });
      const gateway = jitGateway(probe);
      gateway.onSchemaLoadOrUpdate(() => {});
      const { executor } = await gateway.load({ apollo: {} });
      const document = parse('query Probe { probe { __typename ... on SmsError { message retryable fieldErrors { path } } } }');
      const operation = document.definitions[0] as OperationDefinitionNode;
      for (let run = 0; run < 3; run++) {
        const request = { document, operation, operationName: 'Probe', context: {}, request: { variables: {} } };
        expect(await executor!(request as unknown as GatewayGraphQLRequestContext)).toEqual({
          data: { probe: { __typename: error.name, message: 'm', retryable: true, fieldErrors: [] } },
        });
      }
    },
  );
});
