// The example frontend: React on Apollo Client 4, typed by the documents GraphQL Code Generator wrote
// from the committed schema. No hand-written result type anywhere.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { ApolloProvider } from '@apollo/client/react';
import { getMainDefinition } from '@apollo/client/utilities';
import { Kind, OperationTypeNode } from 'graphql';
import { createClient, type SubscribePayload } from 'graphql-ws';
import { Observable } from 'rxjs';
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
// The union members, so the cache keeps the fields of a named fragment on a union (without them, a
// success arrives as a bare { __typename }).
import { possibleTypes } from '../../../schema/possible-types.json';
import { App } from './App';
import { CampaignScreen } from './Campaign';
import './style.css';

/** Where the server is and how to authenticate: read at start from `config.json` beside the page. */
export interface PageConfig {
  graphqlUrl: string;
  /** An API key or a JWT with the sms:send scope; empty when the server runs without callers. */
  token: string;
  /** Where WebSocket is refused: the first wait between delivery-status polls, doubled each time (default 5 s). */
  statusPollMs?: number;
  /**
   * The server runs only the page's own documents (TRUSTED_DOCUMENTS, the manifest codegen writes):
   * send each one's id, never its text.
   */
  persistedDocuments?: boolean;
}

/** A generated document's id in the manifest (codegen's client preset with persistedDocuments). */
const documentIdOf = (document: unknown) => (document as { __meta__?: { hash?: string } }).__meta__?.hash ?? '';

/** Two screens: one batch, and a campaign from a CSV. */
function Screens({ statusPollMs }: { statusPollMs: number }) {
  const [screen, setScreen] = useState<'batch' | 'campaign'>('batch');
  return (
    <>
      <nav className="tabs">
        <button type="button" className={screen === 'batch' ? 'active' : ''} onClick={() => setScreen('batch')}>
          One batch
        </button>
        <button
          type="button"
          data-testid="campaign-tab"
          className={screen === 'campaign' ? 'active' : ''}
          onClick={() => setScreen('campaign')}
        >
          Campaign from a CSV
        </button>
      </nav>
      {screen === 'batch' ? <App statusPollMs={statusPollMs} /> : <CampaignScreen />}
    </>
  );
}

async function start(): Promise<void> {
  const config = (await (await fetch('./config.json', { cache: 'no-store' })).json()) as PageConfig;
  const authorization: Record<string, string> = config.token ? { authorization: `Bearer ${config.token}` } : {};
  // Subscriptions go over WebSocket to the same /graphql, their credentials in connection_init;
  // everything else over HTTP.
  const socketUrl = new URL(config.graphqlUrl, location.href);
  socketUrl.protocol = socketUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = createClient({
    url: socketUrl.href,
    connectionParams: authorization,
    // Reconnects twice, quickly (a 1001 from a server shutting down): then the page polls instead.
    // 4401 and 4403 are the server's answer, not an outage: a retry would get the same.
    retryAttempts: 2,
    shouldRetry: (event) =>
      !(typeof event === 'object' && event !== null && 'code' in event && (event.code === 4401 || event.code === 4403)),
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, 500 * 2 ** retries)),
  });
  // With trusted documents a subscription names its document too: an empty query (graphql-ws wants a
  // string) and its id beside it.
  const socketLink = config.persistedDocuments
    ? new ApolloLink(
        (operation) =>
          new Observable<ApolloLink.Result>((observer) =>
            ws.subscribe({ query: '', documentId: documentIdOf(operation.query), variables: operation.variables } as SubscribePayload, {
              next: (value) => observer.next(value as ApolloLink.Result),
              error: (error) => observer.error(error),
              complete: () => observer.complete(),
            }),
          ),
      )
    : new GraphQLWsLink(ws);
  const httpLink = new HttpLink({ uri: config.graphqlUrl, headers: authorization });
  const link = ApolloLink.split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === Kind.OPERATION_DEFINITION && definition.operation === OperationTypeNode.SUBSCRIPTION;
    },
    socketLink,
    config.persistedDocuments
      ? ApolloLink.from([new PersistedQueryLink({ generateHash: documentIdOf, useGETForHashedQueries: false }), httpLink])
      : httpLink,
  );
  const client = new ApolloClient({ link, cache: new InMemoryCache({ possibleTypes }) });
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <ApolloProvider client={client}>
        <Screens statusPollMs={config.statusPollMs ?? 5000} />
      </ApolloProvider>
    </StrictMode>,
  );
  document.body.dataset.ready = 'true';
}

void start();
