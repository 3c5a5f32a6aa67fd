import { ApolloClient, ApolloLink, CombinedGraphQLErrors, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { Client, fetchExchange, subscriptionExchange } from '@urql/core';
import { Kind, OperationTypeNode } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import possibleTypesFile from '../../schema/possible-types.json';
import { batch, serverPool, type TestServer } from '../support/server';
import { API_KEY_OPS, API_KEYS, bearer } from '../support/tokens';

// The clients frontends use, set up exactly as the README's "Use it from a frontend" tells, against
// the running server over a real socket.
const pool = serverPool({ API_KEYS });
const { possibleTypes } = possibleTypesFile;

// A named fragment on the union: the case where a cache without possibleTypes loses the fields.
const SEND = gql`
  fragment SendResult on SendBatchSmsResult {
    __typename
    ... on SendBatchSmsSuccess {
      sessionNos
      failedTargetPhones {
        phone
        failureReason
      }
      requestUuid
    }
    ... on SendBatchSmsError {
      code
      message
      retryable
    }
  }
  mutation Send($input: SendBatchSmsInput!) {
    sendBatchSms(input: $input) {
      ...SendResult
    }
  }
`;
const LIMITS = gql`
  query Limits {
    smsLimits {
      maxTargetsPerRequest
    }
  }
`;
const upstreamAnswer = {
  body: {
    RetCode: 0,
    Message: 'ok',
    SessionNo: ['s-9'],
    FailedTargetPhones: [{ Phone: '(852)55310000', TemplateParams: [], FailureReason: 'blocked' }],
  },
};
const variables = batch([{ phone: '13800138000' }, { phone: '+85255310000' }]);
const expectedSuccess = {
  __typename: 'SendBatchSmsSuccess',
  sessionNos: ['s-9'],
  failedTargetPhones: [{ __typename: 'FailedTargetPhone', phone: '(852)55310000', failureReason: 'blocked' }],
  requestUuid: 'fake-request-uuid-0001',
};

// Followed through the subscription: the fake uSpeedo answers the session's receipts, none and then one.
const FOLLOW = gql`
  subscription Follow($sessionNos: [String!]!) {
    smsDeliveryUpdates(sessionNos: $sessionNos) {
      __typename
      ... on SmsDeliveryStatus {
        sessions {
          sessionNo
          final
          receipts {
            status
          }
        }
      }
      ... on SmsQueryError {
        code
      }
    }
  }
`;
const RECEIPTS = '/api/v1/usms/USMSSendReceipt';
const receiptsAre = (count: number) =>
  pool.upstream.route('GET', RECEIPTS, {
    body: {
      RetCode: 0,
      Data: [
        { SessionNo: 's-9', ReceiptSet: Array.from({ length: count }, () => ({ Phone: '(86)13800138000', ReceiptResult: 'Success' })) },
      ],
    },
  });

/** graphql-ws's client as the README sets it up; in Node, `ws` stands in for the browser's WebSocket. */
const wsClient = (server: TestServer, authorization: string) =>
  createClient({
    url: `${server.url.replace('http', 'ws')}/graphql`,
    connectionParams: { authorization },
    webSocketImpl: WebSocket,
    retryAttempts: 0,
  });

/** Sends the batch (uSpeedo answers session s-9, one target failed), then receipts: none yet. */
async function sentAndWaiting(server: TestServer) {
  pool.upstream.reply(upstreamAnswer);
  const { status } = await server.gql(SEND.loc!.source.body, variables, bearer(API_KEY_OPS));
  expect(status).toBe(200);
  receiptsAre(0);
}

const apollo = (server: TestServer, headers: Record<string, string>, cache = new InMemoryCache({ possibleTypes })) =>
  new ApolloClient({ link: new HttpLink({ uri: `${server.url}/graphql`, headers }), cache });

describe('Apollo Client 4', () => {
  it('keeps every field of a named fragment on the union with the shipped possibleTypes', async () => {
    const server = await pool.serve();
    pool.upstream.reply(upstreamAnswer);
    const { data } = await apollo(server, bearer(API_KEY_OPS)).mutate({ mutation: SEND, variables });
    expect(data).toEqual({ sendBatchSms: expectedSuccess });
    expect(pool.upstream.calls).toHaveLength(1);
  });

  it('loses them without possibleTypes: the trap the README warns of', async () => {
    const server = await pool.serve();
    pool.upstream.reply(upstreamAnswer);
    const { data } = await apollo(server, bearer(API_KEY_OPS), new InMemoryCache()).mutate({ mutation: SEND, variables });
    expect(data).toEqual({ sendBatchSms: { __typename: 'SendBatchSmsSuccess' } });
  });

  it('surfaces a 401 as CombinedGraphQLErrors carrying UNAUTHENTICATED', async () => {
    const server = await pool.serve();
    const failure: unknown = await apollo(server, {})
      .mutate({ mutation: SEND, variables })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(CombinedGraphQLErrors.is(failure)).toBe(true);
    expect((failure as CombinedGraphQLErrors).errors[0].extensions!.code).toBe('UNAUTHENTICATED');
    expect(pool.upstream.calls).toHaveLength(0);
  });

  it('runs a query with its default transport (POST)', async () => {
    const server = await pool.serve();
    const { data } = await apollo(server, bearer(API_KEY_OPS)).query({ query: LIMITS });
    expect(data).toEqual({ smsLimits: { __typename: 'SmsLimits', maxTargetsPerRequest: 1000 } });
  });
});

describe('Apollo Client 4 with GraphQLWsLink', () => {
  it('follows a session over the subscription, split from HTTP as the README sets it, until it completes', async () => {
    const server = await pool.serve({ DELIVERY_POLL_SECONDS: '1' });
    await sentAndWaiting(server);
    const ws = wsClient(server, bearer(API_KEY_OPS).authorization);
    const link = ApolloLink.split(
      ({ query }) => {
        const definition = getMainDefinition(query);
        return definition.kind === Kind.OPERATION_DEFINITION && definition.operation === OperationTypeNode.SUBSCRIPTION;
      },
      new GraphQLWsLink(ws),
      new HttpLink({ uri: `${server.url}/graphql`, headers: bearer(API_KEY_OPS) }),
    );
    const client = new ApolloClient({ link, cache: new InMemoryCache({ possibleTypes }) });
    const seen: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      client.subscribe({ query: FOLLOW, variables: { sessionNos: ['s-9'] } }).subscribe({
        next: ({ data }) => {
          seen.push(data);
          if (seen.length === 1) receiptsAre(1);
        },
        error: reject,
        complete: resolve,
      });
    });
    const sessions = (seen as { smsDeliveryUpdates: { sessions: unknown[] } }[]).map((data) => data.smsDeliveryUpdates.sessions);
    expect(sessions).toEqual([
      [{ __typename: 'SmsSessionStatus', sessionNo: 's-9', final: false, receipts: [] }],
      [{ __typename: 'SmsSessionStatus', sessionNo: 's-9', final: true, receipts: [{ __typename: 'SmsReceipt', status: 'DELIVERED' }] }],
    ]);
    await ws.dispose();
  });
});

describe('urql 6 with subscriptionExchange', () => {
  it('follows a session over graphql-ws until it completes', async () => {
    const server = await pool.serve({ DELIVERY_POLL_SECONDS: '1' });
    await sentAndWaiting(server);
    const ws = wsClient(server, bearer(API_KEY_OPS).authorization);
    const client = new Client({
      url: `${server.url}/graphql`,
      exchanges: [
        fetchExchange,
        subscriptionExchange({
          forwardSubscription(request) {
            const input = { ...request, query: request.query ?? '' };
            return { subscribe: (sink) => ({ unsubscribe: ws.subscribe(input, sink) }) };
          },
        }),
      ],
    });
    const finals: boolean[] = [];
    await new Promise<void>((resolve) => {
      const { unsubscribe } = client.subscription(FOLLOW, { sessionNos: ['s-9'] }).subscribe((result) => {
        expect(result.error).toBeUndefined();
        const final = (result.data as { smsDeliveryUpdates: { sessions: { final: boolean }[] } }).smsDeliveryUpdates.sessions[0].final;
        finals.push(final);
        if (finals.length === 1) receiptsAre(1);
        if (final) {
          unsubscribe();
          resolve();
        }
      });
    });
    expect(finals).toEqual([false, true]);
    await ws.dispose();
  });
});

describe('urql 6', () => {
  const urql = (server: TestServer, headers: Record<string, string>, preferGetMethod: boolean | 'within-url-limit' = false) =>
    new Client({ url: `${server.url}/graphql`, exchanges: [fetchExchange], preferGetMethod, fetchOptions: { headers } });

  it('keeps every field of a named fragment on the union', async () => {
    const server = await pool.serve();
    pool.upstream.reply(upstreamAnswer);
    const result = await urql(server, bearer(API_KEY_OPS)).mutation(SEND, variables).toPromise();
    expect(result.error).toBeUndefined();
    // urql adds __typename only through its cache exchange; the fragment's own __typename is there.
    expect(result.data).toEqual({
      sendBatchSms: { ...expectedSuccess, failedTargetPhones: [{ phone: '(852)55310000', failureReason: 'blocked' }] },
    });
  });

  it('surfaces a 401 as CombinedError with UNAUTHENTICATED in graphQLErrors', async () => {
    const server = await pool.serve();
    const result = await urql(server, {}).query(LIMITS, {}).toPromise();
    expect(result.error?.graphQLErrors[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('runs a query with preferGetMethod: false, as the README sets it; its default GET meets CSRF prevention', async () => {
    const server = await pool.serve();
    const posted = await urql(server, bearer(API_KEY_OPS)).query(LIMITS, {}).toPromise();
    expect(posted.data).toEqual({ smsLimits: { maxTargetsPerRequest: 1000 } });
    const viaGet = await urql(server, bearer(API_KEY_OPS), 'within-url-limit').query(LIMITS, {}).toPromise();
    expect(viaGet.error?.message).toMatch(/Cross-Site Request Forgery/);
    const withHeader = await urql(server, { ...bearer(API_KEY_OPS), 'apollo-require-preflight': 'true' }, 'within-url-limit')
      .query(LIMITS, {})
      .toPromise();
    expect(withHeader.data?.smsLimits.maxTargetsPerRequest).toBe(1000);
  });
});
