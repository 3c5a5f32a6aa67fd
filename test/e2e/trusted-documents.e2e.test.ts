import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { start, until } from '../support/main-process';
import { batch, SEND_BATCH_SMS, serverPool, TEST_KEY_ID, TEST_SECRET } from '../support/server';
import { DELIVERY_UPDATES, subscribe } from '../support/subscriber';
import { API_KEY_OPS, API_KEYS, bearer } from '../support/tokens';

// Trusted documents through the real server: a manifest as codegen's client preset writes it, requests
// naming their document by documentId or by Apollo's persisted-query hash, over HTTP and WebSocket,
// in each mode; and what is refused is refused before anything is sent.
const pool = serverPool({ API_KEYS });
const { serve, upstream } = pool;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const SEND_ID = sha256(SEND_BATCH_SMS);
const FOLLOW_ID = 'follow-v1';
const manifest = join(mkdtempSync(join(tmpdir(), 'sms-trusted-')), 'persisted-documents.json');
writeFileSync(manifest, JSON.stringify({ [SEND_ID]: SEND_BATCH_SMS, [FOLLOW_ID]: DELIVERY_UPDATES }));
const OTHER = 'mutation Other($input: SendBatchSmsInput!) { sendBatchSms(input: $input) { __typename } }';
const posts = () => upstream.calls.filter((c) => c.method === 'POST');

async function post(server: Awaited<ReturnType<typeof serve>>, body: Record<string, unknown>) {
  const response = await server.fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(API_KEY_OPS) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: JSON.parse(response.text) };
}

describe('trusted documents, require mode', () => {
  const env = { TRUSTED_DOCUMENTS: manifest, TRUSTED_DOCUMENTS_MODE: 'require' };

  it('runs a document named by documentId or by its sha256 hash, and one sent in full however it is indented', async () => {
    const server = await serve(env);
    const variables = batch([{ phone: '13800138000', templateParams: ['1'] }]);
    for (const body of [
      { documentId: SEND_ID, variables },
      { extensions: { persistedQuery: { version: 1, sha256Hash: SEND_ID } }, variables },
      { query: SEND_BATCH_SMS.replace(/\n/g, '\n    '), variables },
    ]) {
      const { status, body: answer } = await post(server, body);
      expect(status).toBe(200);
      expect(answer.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    }
    expect(posts()).toHaveLength(3);
  });

  it('refuses an unknown id (PERSISTED_QUERY_NOT_FOUND) and a document not in the manifest (PERSISTED_QUERY_NOT_IN_LIST), 400, sending nothing', async () => {
    const server = await serve(env);
    const variables = batch([{ phone: '13800138000', templateParams: ['1'] }]);
    const unknown = await post(server, { documentId: 'nope', variables });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const other = await post(server, { query: OTHER, variables });
    expect(other.status).toBe(400);
    expect(other.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    // Automatic persisted queries register nothing: the hash and its document, then the hash alone.
    const hash = sha256(OTHER);
    const register = await post(server, { query: OTHER, variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    expect(register.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    const again = await post(server, { variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    expect(again.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(posts()).toHaveLength(0);
  });

  it("works with Apollo Client's persisted query link: the hash alone on the wire", async () => {
    const server = await serve(env);
    const bodies: string[] = [];
    const link = ApolloLink.from([
      new PersistedQueryLink({ generateHash: () => SEND_ID, useGETForHashedQueries: false }),
      new HttpLink({
        uri: `${server.url}/graphql`,
        headers: bearer(API_KEY_OPS),
        fetch: (url, init) => (bodies.push(typeof init?.body === 'string' ? init.body : ''), fetch(url, init)),
      }),
    ]);
    const client = new ApolloClient({ link, cache: new InMemoryCache() });
    const { data } = await client.mutate({
      mutation: gql(SEND_BATCH_SMS),
      variables: batch([{ phone: '13800138000', templateParams: ['1'] }]),
    });
    expect((data as any).sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    expect(bodies).toHaveLength(1);
    expect(JSON.parse(bodies[0])).not.toHaveProperty('query');
    expect(posts()).toHaveLength(1);
  });

  it('takes a subscription by documentId over WebSocket, and refuses one not in the manifest', async () => {
    const server = await serve(env);
    // graphql-ws needs a string query: an empty one, and the id beside it.
    const named = subscribe(
      server.url,
      { sessionNos: ['s-unknown'] },
      { connectionParams: bearer(API_KEY_OPS), query: '', documentId: FOLLOW_ID },
    );
    const [first] = await named.eventsAt(1);
    expect(first.smsDeliveryUpdates.__typename).toBe('SmsDeliveryStatus');
    await named.dispose();
    const other = subscribe(
      server.url,
      { sessionNos: ['s-1'] },
      { connectionParams: bearer(API_KEY_OPS), query: 'subscription X { smsDeliveryUpdates(sessionNos: ["s-1"]) { __typename } }' },
    );
    const ended = (await other.ended) as { message?: string; extensions?: { code?: string } }[];
    expect(ended[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
  });
});

describe('trusted documents, allow mode', () => {
  it('runs ids from the manifest and other documents too (a migration)', async () => {
    const server = await serve({ TRUSTED_DOCUMENTS: manifest, TRUSTED_DOCUMENTS_MODE: 'allow' });
    const variables = batch([{ phone: '13800138000', templateParams: ['1'] }]);
    expect((await post(server, { documentId: SEND_ID, variables })).body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    expect((await post(server, { query: OTHER, variables })).body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    expect(posts()).toHaveLength(2);
  });
});

describe('trusted documents at start', () => {
  it('stops the start with one sentence when the manifest cannot be read', async () => {
    const run = start({
      USPEEDO_ACCESS_KEY_ID: TEST_KEY_ID,
      USPEEDO_ACCESS_KEY_SECRET: TEST_SECRET,
      API_KEYS,
      TRUSTED_DOCUMENTS: '/nonexistent/manifest.json',
    });
    expect(await run.exited).toBe(1);
    await until(() => run.output().includes('Failed to start'));
    expect(run.output()).toContain('Failed to start: TRUSTED_DOCUMENTS: the manifest /nonexistent/manifest.json cannot be read (ENOENT).');
  }, 30_000);
});
