// The example frontend: React on Apollo Client 4, typed by the documents GraphQL Code Generator wrote
// from the committed schema. No hand-written result type anywhere.
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { ApolloProvider } from '@apollo/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
// The union members, so the cache keeps the fields of a named fragment on a union (without them, a
// success arrives as a bare { __typename }).
import { possibleTypes } from '../../../schema/possible-types.json';
import { App } from './App';
import './style.css';

/** Where the server is and how to authenticate: read at start from `config.json` beside the page. */
export interface PageConfig {
  graphqlUrl: string;
  /** An API key or a JWT with the sms:send scope; empty when the server runs without callers. */
  token: string;
  /** The first wait between delivery-status polls, doubled each time (default 5 s). */
  statusPollMs?: number;
}

async function start(): Promise<void> {
  const config = (await (await fetch('./config.json', { cache: 'no-store' })).json()) as PageConfig;
  const client = new ApolloClient({
    link: new HttpLink({ uri: config.graphqlUrl, headers: config.token ? { authorization: `Bearer ${config.token}` } : {} }),
    cache: new InMemoryCache({ possibleTypes }),
  });
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <ApolloProvider client={client}>
        <App statusPollMs={config.statusPollMs ?? 5000} />
      </ApolloProvider>
    </StrictMode>,
  );
  document.body.dataset.ready = 'true';
}

void start();
