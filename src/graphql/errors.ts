import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { GraphQLContext } from './context';

/** Unexpected errors are logged with the request's logger; what the client sees is `formatError`'s. */
export const logUnexpectedErrors: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors, contextValue }) {
        for (const error of errors) {
          if (!(error.originalError instanceof GraphQLError) && error.originalError) {
            contextValue.log.error({ err: error.originalError, path: error.path }, 'unexpected error in a resolver');
          }
        }
      },
    };
  },
};

// Apollo answers some malformed requests (an APQ hash that does not match its query) with an HTTP
// 4xx but no code, which it then reports as INTERNAL_SERVER_ERROR: the request's fault, called ours.
function isCodelessClientError(formatted: GraphQLFormattedError, error: unknown): boolean {
  if (formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR' || !(error instanceof GraphQLError)) return false;
  const status = (error.extensions.http as { status?: number } | undefined)?.status ?? 0;
  return status >= 400 && status < 500 && error.originalError === undefined;
}

/** On a hardened server, an unexpected error reaches the client as a generic message; it is logged in full. */
export function maskUnexpectedError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  return formatted.extensions?.code === 'INTERNAL_SERVER_ERROR'
    ? { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }
    : formatted;
}

/**
 * Apollo's `formatError`: a 4xx Apollo gave no code is BAD_REQUEST, as the error table says; then, on a
 * hardened server, an unexpected error is masked.
 */
export function formatErrorFor(mask: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (isCodelessClientError(formatted, error)) return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
    return mask ? maskUnexpectedError(formatted) : formatted;
  };
}
