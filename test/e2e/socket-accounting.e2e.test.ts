import WebSocket from 'ws';
import { serverPool, type TestServer } from '../support/server';
import { bearer, hsToken, JwksServer, JWT_TEST_SECRET } from '../support/tokens';

// A socket's slots (among the sockets whose caller is not known yet, then among its caller's) are
// taken and given back once each, whatever order its close and its token check finish in. Before, a
// socket closed while its token was being checked gave back its unauthenticated slot twice and kept
// its caller's slot for good: a few hundred such sockets and the caller got 4429 until a restart.
const pool = serverPool({ DELIVERY_POLL_SECONDS: '1' });
const { serve } = pool;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The sms_ws_sockets gauge, by state. */
async function sockets(server: TestServer) {
  const text = (await server.fetch('/metrics')).text;
  const read = (state: string) => Number(new RegExp(`^sms_ws_sockets\\{state="${state}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
  return { unauthenticated: read('unauthenticated'), authenticated: read('authenticated') };
}

/** Opens a raw socket and closes it at one point of the handshake. */
async function openAndClose(
  server: TestServer,
  token: string,
  when: 'before-init' | 'with-init' | 'after-init' | 'after-ack',
  delayMs = 0,
) {
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const closed = new Promise((resolve) => socket.once('close', resolve));
  if (when === 'before-init') {
    socket.close();
    return closed;
  }
  socket.send(JSON.stringify({ type: 'connection_init', payload: bearer(token) }));
  if (when === 'with-init') socket.close();
  else if (when === 'after-init') setTimeout(() => socket.close(), delayMs);
  // Past SUBSCRIPTIONS_PER_CALLER the socket is closed (4429) rather than acknowledged.
  else await Promise.race([new Promise((resolve) => socket.once('message', resolve)), closed]).then(() => socket.close());
  return closed;
}

/** A socket through connection_init: open and acknowledged, or the code it was closed with. */
async function handshake(server: TestServer, token: string): Promise<{ socket: WebSocket; closedWith: number | null }> {
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.send(JSON.stringify({ type: 'connection_init', payload: bearer(token) }));
  return Promise.race([
    new Promise<{ socket: WebSocket; closedWith: null }>((resolve) => socket.once('message', () => resolve({ socket, closedWith: null }))),
    new Promise<{ socket: WebSocket; closedWith: number }>((resolve) =>
      socket.once('close', (code) => resolve({ socket, closedWith: code })),
    ),
  ]);
}

/** Every slot given back, and the caller may still hold all it may: SUBSCRIPTIONS_PER_CALLER sockets, then 4429. */
async function expectNoDrift(server: TestServer, token: string, perCaller: number) {
  await sleep(300);
  expect(await sockets(server)).toEqual({ unauthenticated: 0, authenticated: 0 });
  const held = await Promise.all(Array.from({ length: perCaller }, () => handshake(server, token)));
  expect(held.map((h) => h.closedWith)).toEqual(Array.from({ length: perCaller }, () => null));
  expect((await handshake(server, token)).closedWith).toBe(4429);
  expect(await sockets(server)).toEqual({ unauthenticated: 0, authenticated: perCaller });
  for (const { socket } of held) socket.close();
  await sleep(300);
  expect(await sockets(server)).toEqual({ unauthenticated: 0, authenticated: 0 });
}

const POINTS = ['before-init', 'with-init', 'after-init', 'after-ack'] as const;

describe('socket accounting', () => {
  it('with JWKS: sockets closed while the key set is being fetched take no slot and give back one', async () => {
    const jwks = await JwksServer.start();
    try {
      jwks.delayMs = 300;
      const server = await serve({ JWT_JWKS_URL: jwks.url, SUBSCRIPTIONS_PER_CALLER: '3' });
      const token = await jwks.token({ scope: 'sms:send' });
      // Closed while the first check waits for the key set: every one of them in flight at once.
      await Promise.all(Array.from({ length: 20 }, () => openAndClose(server, token, 'after-init', 50)));
      await sleep(400);
      jwks.delayMs = 0;
      for (const when of POINTS) await Promise.all(Array.from({ length: 5 }, () => openAndClose(server, token, when)));
      await expectNoDrift(server, token, 3);
    } finally {
      await jwks.close();
    }
  });

  it.each([
    ['HS256', async () => ({ env: { JWT_SECRET: JWT_TEST_SECRET }, token: await hsToken({ scope: 'sms:send' }) })],
    [
      'a public key',
      async () => {
        const jwks = await JwksServer.start();
        await jwks.close();
        return { env: { JWT_PUBLIC_KEY: jwks.publicKeyPem }, token: await jwks.token({ scope: 'sms:send' }) };
      },
    ],
  ])('with %s: sockets closed at every point of the handshake leave every count where it was', async (_kind, setup) => {
    const { env, token } = await setup();
    const server = await serve({ ...env, SUBSCRIPTIONS_PER_CALLER: '3' });
    for (const when of POINTS) {
      for (const delayMs of when === 'after-init' ? [0, 1, 2, 5, 10] : [0]) {
        await Promise.all(Array.from({ length: 10 }, () => openAndClose(server, token, when, delayMs)));
      }
    }
    await expectNoDrift(server, token, 3);
  });
});
