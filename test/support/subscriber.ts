import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A subscription through graphql-ws's own client: the events it got, how it ended, and the socket's close. */
export interface Subscribed {
  client: Client;
  /** Each `next` payload's `data`, or its `errors`. */
  events: any[];
  /** Resolves when the subscription completes or errors: `complete`, or the error (a close event or GraphQL errors). */
  ended: Promise<unknown>;
  /** Resolves with the socket's close code. */
  closed: Promise<number>;
  /** Resolves once `count` events have come. */
  eventsAt(count: number): Promise<any[]>;
  dispose(): Promise<void>;
}

export const DELIVERY_UPDATES = `subscription Follow($sessionNos: [String!]!) {
  smsDeliveryUpdates(sessionNos: $sessionNos) {
    __typename
    ... on SmsDeliveryStatus { requestUuid sessions { sessionNo known expectedReceipts final receipts { phone status } } }
    ... on SmsQueryError { code message retryable retryAfterSeconds fieldErrors { path message } }
  }
}`;

/** Subscribes over a real socket (another subscription's, with `client`), with `connectionParams` in `connection_init` and `headers` (Origin, Authorization) on the upgrade. */
export function subscribe(
  url: string,
  variables: Record<string, unknown>,
  options: {
    connectionParams?: Record<string, unknown>;
    headers?: Record<string, string>;
    query?: string;
    /** Names a trusted document (sent beside an empty query, which graphql-ws requires to be a string). */
    documentId?: string;
    client?: Client;
  } = {},
): Subscribed {
  const headers = options.headers ?? {};
  class HeaderedWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  let closeCode: (code: number) => void = () => {};
  const closed = new Promise<number>((resolve) => (closeCode = resolve));
  const client =
    options.client ??
    createClient({
      url: url.replace(/^http/, 'ws') + '/graphql',
      webSocketImpl: HeaderedWebSocket,
      connectionParams: options.connectionParams,
      retryAttempts: 0,
      lazy: true,
      on: { closed: (event) => closeCode((event as { code: number }).code) },
    });
  const events: any[] = [];
  const waiters: { count: number; resolve: (events: any[]) => void }[] = [];
  const ended = new Promise<unknown>((resolve) => {
    client.subscribe(
      { query: options.query ?? DELIVERY_UPDATES, variables, ...(options.documentId ? { documentId: options.documentId } : {}) },
      {
        next: (value) => {
          events.push(value.errors ? { errors: value.errors } : value.data);
          for (const waiter of waiters.filter((w) => events.length >= w.count)) waiter.resolve(events);
        },
        error: (error) => resolve(error),
        complete: () => resolve('complete'),
      },
    );
  });
  return {
    client,
    events,
    ended,
    closed,
    eventsAt: (count) => (events.length >= count ? Promise.resolve(events) : new Promise((resolve) => waiters.push({ count, resolve }))),
    dispose: () => client.dispose() as Promise<void>,
  };
}
