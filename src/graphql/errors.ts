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

// graphql-js's coercion error: `Variable "$input" got invalid value <the value> at "input.a[0]"; <the rule>`.
const COERCION = /^Variable "\$([^"]+)" got invalid value [\s\S]*?(?: at "([^"]+)")?$/;

/**
 * A message with nothing of the caller's values and no suggestion of the schema's names: a variable's
 * coercion error names its path and the rule it broke, never the value (graphql-js prints it whole,
 * phone numbers and all); a scalar's or enum's own message loses the value it quotes; "Did you mean …?"
 * goes wherever it stands.
 */
export function withoutEchoes(message: string, rule?: string): string {
  let text = message;
  if (rule !== undefined && text.endsWith(`; ${rule}`)) {
    const prefix = COERCION.exec(text.slice(0, -(rule.length + 2)));
    if (prefix) text = `Variable "$${prefix[1]}" got an invalid value${prefix[2] ? ` at "${prefix[2]}"` : ''}; ${ruleWithoutValue(rule)}`;
  }
  return text.replace(/ ?Did you mean [\s\S]*?\?(?= |$)/g, '');
}

/** A coercion rule without the value it quotes: `Int cannot represent non-integer value: "x"` → `… value.` */
function ruleWithoutValue(rule: string): string {
  return rule
    .replace(/^(.*?\b[Vv]alue\b[^:]*?): [\s\S]*$/, '$1.')
    .replace(/^Value "[\s\S]*" does not exist in ("[^"]+") enum\./, 'Value does not exist in $1 enum.');
}

/**
 * An error as a hardened server answers it, over HTTP and WebSocket alike: an unexpected one masked, and
 * no message echoing a value or suggesting a name (`error` is the one formatted, whose cause holds the
 * rule a coercion error quotes).
 */
export function hardenedError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const masked = maskUnexpectedError(formatted);
  const rule = error instanceof GraphQLError && error.originalError instanceof GraphQLError ? error.originalError.message : undefined;
  const message = withoutEchoes(masked.message, rule);
  return message === masked.message ? masked : { ...masked, message };
}

/**
 * Apollo's `formatError`: a 4xx Apollo gave no code is BAD_REQUEST, as the error table says; then, on a
 * hardened server, `hardenedError`.
 */
export function formatErrorFor(mask: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (isCodelessClientError(formatted, error)) return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
    return mask ? hardenedError(formatted, error) : formatted;
  };
}
