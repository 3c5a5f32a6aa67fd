import { BODY_LIMIT_BYTES } from '../../src/http/server-options';
import { useFakeUspeedo } from '../support/fake-uspeedo';
import { batch, SEND_BATCH_SMS, startServer, TEST_SECRET, type TestServer } from '../support/server';

const APP_ORIGIN = 'https://app.example.com';

const upstream = useFakeUspeedo();
let dev: TestServer;
let prod: TestServer;

beforeAll(async () => {
  dev = await startServer({ NODE_ENV: 'development', USPEEDO_BASE_URL: upstream.url, CORS_ORIGINS: APP_ORIGIN });
  prod = await startServer({ NODE_ENV: 'production', AUTH_DISABLED: 'true', USPEEDO_BASE_URL: upstream.url, CORS_ORIGINS: APP_ORIGIN });
});
afterAll(async () => {
  for (const server of [dev, prod]) {
    expect(server.responses.join('\n')).not.toContain(TEST_SECRET);
    expect(server.logs.text).not.toContain(TEST_SECRET);
    await server.close();
  }
});

const json = { 'content-type': 'application/json' };
const mutationBody = JSON.stringify({ query: SEND_BATCH_SMS, variables: batch([{ phone: '13800138000' }]) });

describe('requests that are refused before anything is sent', () => {
  it('a text/plain POST (CSRF: a simple request no preflight guards)', async () => {
    const response = await dev.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: mutationBody });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/CSRF|preflight/i);
    expect(upstream.calls).toHaveLength(0);
  });

  it('a form-encoded POST', async () => {
    const response = await dev.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `query=${encodeURIComponent(SEND_BATCH_SMS)}`,
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(upstream.calls).toHaveLength(0);
  });

  it('a mutation over GET, even with the preflight header', async () => {
    const query = encodeURIComponent(SEND_BATCH_SMS);
    const variables = encodeURIComponent(JSON.stringify(batch([{ phone: '13800138000' }])));
    const response = await dev.fetch(`/graphql?query=${query}&variables=${variables}`, {
      headers: { 'apollo-require-preflight': 'true', accept: 'application/json' },
    });
    expect(response.status).toBe(405);
    expect(upstream.calls).toHaveLength(0);
  });

  it('logs the path of a GET but not its query string, which may carry phone numbers', async () => {
    const variables = encodeURIComponent(JSON.stringify(batch([{ phone: '13877776666' }])));
    await dev.fetch(`/graphql?query=${encodeURIComponent(SEND_BATCH_SMS)}&variables=${variables}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(dev.logs.text).toContain('"url":"/graphql"');
    expect(dev.logs.text).not.toContain('13877776666');
  });

  it('an array of operations (HTTP batching is off)', async () => {
    const response = await dev.fetch('/graphql', { method: 'POST', headers: json, body: `[${mutationBody},${mutationBody}]` });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/batching/i);
    expect(upstream.calls).toHaveLength(0);
  });

  it('a body over 1 MB', async () => {
    const target = Array.from({ length: 1000 }, (_, i) => ({
      phone: `1380013${String(i).padStart(4, '0')}`,
      templateParams: ['x'.repeat(1100)],
    }));
    const body = JSON.stringify({ query: SEND_BATCH_SMS, variables: batch(target) });
    expect(Buffer.byteLength(body)).toBeGreaterThan(BODY_LIMIT_BYTES);
    const response = await dev.fetch('/graphql', { method: 'POST', headers: json, body });
    expect(response.status).toBe(413);
    expect(upstream.calls).toHaveLength(0);
  });

  it('a body that is not JSON, without a stack trace', async () => {
    const response = await prod.fetch('/graphql', { method: 'POST', headers: json, body: '{"query": ' });
    expect(response.status).toBe(400);
    expect(response.text).not.toMatch(/\bat .+\(.+:\d+:\d+\)/);
    expect(upstream.calls).toHaveLength(0);
  });
});

describe('health', () => {
  it('GET /healthz is 200 {"status":"ok"}', async () => {
    const response = await prod.fetch('/healthz');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ status: 'ok' });
  });

  it('keeps a safe incoming x-request-id and makes one otherwise', async () => {
    expect((await prod.fetch('/healthz', { headers: { 'x-request-id': 'abc-123' } })).headers.get('x-request-id')).toBe('abc-123');
    for (const unsafe of ['{"forged":"log line"}', 'x'.repeat(129)]) {
      const made = (await prod.fetch('/healthz', { headers: { 'x-request-id': unsafe } })).headers.get('x-request-id');
      expect(made).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('CORS', () => {
  const preflight = (server: TestServer, origin: string) =>
    server.fetch('/graphql', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });

  it('lets a configured frontend origin through a preflight', async () => {
    const response = await preflight(prod, APP_ORIGIN);
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('access-control-allow-headers')).toMatch(/content-type/i);
  });

  it('gives another origin no CORS grant', async () => {
    const response = await preflight(prod, 'https://evil.example.net');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("allows Apollo Sandbox's origin outside production only", async () => {
    expect((await preflight(dev, 'https://studio.apollographql.com')).headers.get('access-control-allow-origin')).toBe(
      'https://studio.apollographql.com',
    );
    expect((await preflight(prod, 'https://studio.apollographql.com')).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('outside production', () => {
  it('serves the Apollo Sandbox landing page to a browser', async () => {
    const response = await dev.fetch('/graphql', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.text).toMatch(/sandbox/i);
  });

  it('answers introspection', async () => {
    const { body } = await dev.gql('{ __schema { mutationType { name } } }');
    expect(body.data.__schema.mutationType.name).toBe('Mutation');
  });
});

describe('in production', () => {
  it('serves no landing page', async () => {
    const response = await prod.fetch('/graphql', { headers: { accept: 'text/html' } });
    expect(response.text).not.toMatch(/sandbox/i);
  });

  it('refuses introspection', async () => {
    const { body } = await prod.gql('{ __schema { types { name } } }');
    expect(body.errors[0].message).toMatch(/introspection/i);
    expect(body.data).toBeUndefined();
  });

  it('hides field suggestions', async () => {
    const { body } = await prod.gql('{ smsLimit { maxTargetsPerRequest } }');
    expect(body.errors[0].message).not.toMatch(/did you mean/i);
    // Live credentials harden a server whatever NODE_ENV says: only the simulator's development server suggests.
    expect((await dev.gql('{ smsLimit { maxTargetsPerRequest } }')).body.errors[0].message).not.toMatch(/did you mean/i);
    const simulator = await startServer({ USPEEDO_SIMULATOR: 'true' });
    try {
      expect((await simulator.gql('{ smsLimit { maxTargetsPerRequest } }')).body.errors[0].message).toMatch(/did you mean/i);
    } finally {
      await simulator.close();
    }
  });

  it('still sends a valid batch', async () => {
    const { body } = await prod.gql(SEND_BATCH_SMS, batch([{ phone: '13800138000' }]));
    expect(body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    expect(upstream.calls).toHaveLength(1);
  });

  it('can turn introspection on with GRAPHQL_INTROSPECTION=true', async () => {
    const open = await startServer({
      NODE_ENV: 'production',
      AUTH_DISABLED: 'true',
      USPEEDO_BASE_URL: upstream.url,
      GRAPHQL_INTROSPECTION: 'true',
    });
    try {
      const { body } = await open.gql('{ __schema { mutationType { name } } }');
      expect(body.data.__schema.mutationType.name).toBe('Mutation');
    } finally {
      await open.close();
    }
  });
});
