import type { FastifyReply, FastifyRequest } from 'fastify';

const GRAPHQL_RESPONSE = 'application/graphql-response+json; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The GraphQL over HTTP media type when the request accepts it, else `application/json`. Apollo Client
 * 4 reads the body of a non-2xx answer only as `application/graphql-response+json`, which it asks for.
 */
function graphqlContentType(request: FastifyRequest): string {
  return (request.headers.accept ?? '').includes('application/graphql-response+json') ? GRAPHQL_RESPONSE : JSON_TYPE;
}

/**
 * Answers with a GraphQL response body holding one error and its `extensions.code`, as an answer given
 * before or outside GraphQL execution (authentication, a body too large, a fault) on /graphql.
 */
export function sendGraphQLError(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
): FastifyReply {
  return reply
    .code(status)
    .type(graphqlContentType(request))
    .send({ errors: [{ message, extensions: { code } }] });
}
