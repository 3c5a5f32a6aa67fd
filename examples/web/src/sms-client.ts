// Calls the server with the typed documents GraphQL Code Generator wrote from our committed schema:
// no hand-written result types anywhere in this example.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

/** Where the server is and how to authenticate: read at start from `config.json` beside the page. */
export interface ClientConfig {
  graphqlUrl: string;
  /** An API key or a JWT with the sms:send scope; empty when the server runs without callers. */
  token: string;
}

/** The server answered with top-level GraphQL errors (401, 403, a malformed request …). */
export class GraphQLRequestError extends Error {
  override readonly name = 'GraphQLRequestError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function loadConfig(): Promise<ClientConfig> {
  const response = await fetch('./config.json', { cache: 'no-store' });
  return (await response.json()) as ClientConfig;
}

/** Posts one typed operation; the variables and the result are typed by the document. */
export async function execute<TResult, TVariables>(
  config: ClientConfig,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  const response = await fetch(config.graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(config.token ? { authorization: `Bearer ${config.token}` } : {}),
    },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data?: TResult; errors?: { message: string; extensions?: { code?: string } }[] };
  if (body.data) return body.data;
  const first = body.errors?.[0];
  throw new GraphQLRequestError(
    response.status,
    first?.extensions?.code ?? `HTTP_${response.status}`,
    first?.message ?? response.statusText,
  );
}
