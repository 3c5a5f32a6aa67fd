import { useFakeUspeedo } from '../support/fake-uspeedo';
import { batch, SEND_BATCH_SMS, startServer, type TestServer } from '../support/server';
import { API_KEY_OPS, API_KEYS, bearer, hsToken, JWT_TEST_SECRET, JwksServer } from '../support/tokens';

const upstream = useFakeUspeedo();
let jwks: JwksServer;
let server: TestServer;

beforeAll(async () => {
  jwks = await JwksServer.start();
  server = await startServer({
    USPEEDO_BASE_URL: upstream.url,
    API_KEYS,
    JWT_SECRET: JWT_TEST_SECRET,
    JWT_ISSUER: 'https://id.example.com/',
    JWT_AUDIENCE: 'sms-api',
  });
});
afterAll(async () => {
  await server.close();
  await jwks.close();
});

const variables = batch([{ phone: '13800138000' }]);
const good = { iss: 'https://id.example.com/', aud: 'sms-api', scope: 'openid sms:send' };

const refusals: [string, number, string, () => Promise<Record<string, string>>][] = [
  ['no Authorization header', 401, 'UNAUTHENTICATED', async () => ({})],
  ['an empty header', 401, 'UNAUTHENTICATED', async () => ({ authorization: '' })],
  ['Basic instead of Bearer', 401, 'UNAUTHENTICATED', async () => ({ authorization: `Basic ${Buffer.from('a:b').toString('base64')}` })],
  ['garbage', 401, 'UNAUTHENTICATED', async () => bearer('not-a-key')],
  ['an API key that is not configured', 401, 'UNAUTHENTICATED', async () => bearer(`${API_KEY_OPS}x`)],
  [
    'a JWT with a wrong signature',
    401,
    'UNAUTHENTICATED',
    async () => bearer(await hsToken({ ...good, secret: 'another-secret-that-is-32-bytes-long!!' })),
  ],
  ['an expired JWT', 401, 'UNAUTHENTICATED', async () => bearer(await hsToken({ ...good, exp: -60 }))],
  ['a JWT for another audience', 401, 'UNAUTHENTICATED', async () => bearer(await hsToken({ ...good, aud: 'billing' }))],
  ['a JWT from another issuer', 401, 'UNAUTHENTICATED', async () => bearer(await hsToken({ ...good, iss: 'https://evil.example.com/' }))],
  ['a JWT without sub', 401, 'UNAUTHENTICATED', async () => bearer(await hsToken({ ...good, sub: '' }))],
  ['an unsigned JWT (alg none)', 401, 'UNAUTHENTICATED', async () => bearer(unsigned())],
  ['an RS256 JWT where HS256 is configured', 401, 'UNAUTHENTICATED', async () => bearer(await jwks.token(good))],
  ['a JWT without the sms:send scope', 403, 'FORBIDDEN', async () => bearer(await hsToken({ ...good, scope: 'openid profile' }))],
  [
    'a JWT whose scope only contains sms:send as a substring',
    403,
    'FORBIDDEN',
    async () => bearer(await hsToken({ ...good, scope: 'sms:sender' })),
  ],
];

function unsigned(): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ ...good, sub: 'x', exp: Math.floor(Date.now() / 1000) + 60 })}.`;
}

describe('who may call', () => {
  it.each(refusals)('%s → HTTP %i %s, nothing sent, the token not logged', async (_name, status, code, headers) => {
    const sent = await headers();
    const { status: got, body } = await server.gql(SEND_BATCH_SMS, variables, sent);
    expect(got).toBe(status);
    expect(body).toEqual({ errors: [{ message: expect.any(String), extensions: { code } }] });
    expect(body.data).toBeUndefined();
    expect(upstream.calls).toHaveLength(0);
    const token = sent.authorization?.split(' ')[1];
    if (token) expect(server.logs.text).not.toContain(token);
  });

  it('says how to authenticate on a 401 and which scope is missing on a 403', async () => {
    const missing = await server.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{__typename}"}',
    });
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const scopeless = await server.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(await hsToken({ ...good, scope: 'openid' })) },
      body: '{"query":"{__typename}"}',
    });
    expect(scopeless.status).toBe(403);
    expect(scopeless.headers.get('www-authenticate')).toContain('scope="sms:send"');
  });

  it('sends for a good API key, as its caller id', async () => {
    const { status, body } = await server.gql(SEND_BATCH_SMS, variables, bearer(API_KEY_OPS));
    expect(status).toBe(200);
    expect(body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    expect(upstream.calls).toHaveLength(1);
    expect(server.logs.text).not.toContain(API_KEY_OPS);
    expect(
      server.logs.lines.map((line) => JSON.parse(line)).find((l) => l.msg === 'sendBatchSms answered' && l.sms.caller === 'ops'),
    ).toMatchObject({
      sms: { caller: 'ops', callerKind: 'api-key' },
    });
  });

  it.each([
    ['a space-separated scope claim', { ...good, sub: 'user-42' }],
    ['an scp array', { iss: good.iss, aud: good.aud, scp: ['sms:send'], sub: 'user-42' }],
  ])('sends for a good JWT with %s, as its sub', async (_name, claims) => {
    const { status, body } = await server.gql(SEND_BATCH_SMS, variables, bearer(await hsToken(claims)));
    expect(status).toBe(200);
    expect(body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    expect(upstream.calls).toHaveLength(1);
    expect(server.logs.text).toContain('"caller":"user-42","callerKind":"jwt"');
  });

  it('guards queries too, but not the landing page a browser asks for', async () => {
    expect((await server.gql('{ smsLimits { maxTargetsPerRequest } }')).status).toBe(401);
    const page = await server.fetch('/graphql', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('<html');
    const viaGet = await server.fetch(`/graphql?query=${encodeURIComponent('{ smsLimits { maxTargetsPerRequest } }')}`, {
      headers: { accept: 'text/html', 'apollo-require-preflight': 'true' },
    });
    expect(viaGet.status).toBe(401);
  });
});

describe('JWTs checked against a JWKS or a public key', () => {
  let viaJwks: TestServer;
  let viaPem: TestServer;
  beforeAll(async () => {
    viaJwks = await startServer({ USPEEDO_BASE_URL: upstream.url, JWT_JWKS_URL: jwks.url, JWT_AUDIENCE: 'sms-api' });
    viaPem = await startServer({ USPEEDO_BASE_URL: upstream.url, JWT_PUBLIC_KEY: jwks.publicKeyPem.replace(/\n/g, '\\n') });
  });
  afterAll(async () => {
    await viaJwks.close();
    await viaPem.close();
  });

  it('accepts the identity provider’s RS256 tokens and refuses an HS256 token signed with anything', async () => {
    const token = await jwks.token({ aud: 'sms-api', scope: 'sms:send' });
    expect((await viaJwks.gql(SEND_BATCH_SMS, variables, bearer(token))).body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    expect((await viaPem.gql(SEND_BATCH_SMS, variables, bearer(token))).body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    expect(upstream.calls).toHaveLength(2);
    expect(jwks.requests).toBeGreaterThanOrEqual(1);

    // The public key's bytes as an HMAC secret: the classic algorithm-confusion attack.
    const confused = await hsToken({ aud: 'sms-api', scope: 'sms:send', secret: jwks.publicKeyPem });
    expect((await viaPem.gql(SEND_BATCH_SMS, variables, bearer(confused))).status).toBe(401);
    expect((await viaJwks.gql(SEND_BATCH_SMS, variables, bearer(confused))).status).toBe(401);
    expect(upstream.calls).toHaveLength(2);
  });

  it('answers 503, not 401, when the key set cannot be fetched', async () => {
    const unreachable = await startServer({ USPEEDO_BASE_URL: upstream.url, JWT_JWKS_URL: 'http://127.0.0.1:9/jwks.json' });
    try {
      const { status, body } = await unreachable.gql(SEND_BATCH_SMS, variables, bearer(await jwks.token({ scope: 'sms:send' })));
      expect(status).toBe(503);
      expect(body.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
      expect(upstream.calls).toHaveLength(0);
    } finally {
      await unreachable.close();
    }
  });
});

describe('npm run api-key', () => {
  it('mints a key whose printed entry admits it, and only it', async () => {
    const { execFileSync } = await import('node:child_process');
    const { join } = await import('node:path');
    const output = execFileSync(process.execPath, [join(__dirname, '../../scripts/mint-api-key.js'), 'billing-service'], {
      encoding: 'utf8',
    });
    const [key, entry] = [/^\s+(usk_\S+)$/m.exec(output)![1], /^\s+(billing-service:[0-9a-f]{64})$/m.exec(output)![1]];
    expect(entry).not.toContain(key);
    const minted = await startServer({ USPEEDO_BASE_URL: upstream.url, API_KEYS: entry });
    try {
      expect((await minted.gql(SEND_BATCH_SMS, variables, bearer(key))).body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
      expect((await minted.gql(SEND_BATCH_SMS, variables, bearer(`${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`))).status).toBe(401);
      expect(minted.logs.text).toContain('"caller":"billing-service"');
    } finally {
      await minted.close();
    }
  });
});
