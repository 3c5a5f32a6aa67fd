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

/** On a hardened server, an unexpected error reaches the client as a generic message; it is logged in full. */
export function maskUnexpectedError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  return formatted.extensions?.code === 'INTERNAL_SERVER_ERROR'
    ? { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }
    : formatted;
}
