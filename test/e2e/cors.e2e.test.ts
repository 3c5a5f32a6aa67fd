import { serverPool, type TestServer } from '../support/server';

// CORS that explains itself: local dev servers just work on the simulator, a refused origin is named
// in the log once with the variable to set, and a hardened server without CORS_ORIGINS says so at start.
const pool = serverPool();

const preflight = (server: TestServer, origin: string) =>
  server.fetch('/graphql', {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
  });
const granted = async (server: TestServer, origin: string) => (await preflight(server, origin)).headers.get('access-control-allow-origin');

describe('CORS', () => {
  it('lets pages from localhost and 127.0.0.1 on any port call a development server on the simulator', async () => {
    const server = await pool.serve({ USPEEDO_SIMULATOR: 'true' });
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:3000', 'http://localhost', 'http://[::1]:8080']) {
      expect(await granted(server, origin)).toBe(origin);
    }
    expect(await granted(server, 'http://localhost.evil.example:5173')).toBeNull();
    expect(await granted(server, 'http://192.168.1.20:5173')).toBeNull();
  });

  it('allows only CORS_ORIGINS on a hardened server, and logs each refused origin once, with the variable to set', async () => {
    const server = await pool.serve({ NODE_ENV: '', GRAPHQL_INTROSPECTION: '', CORS_ORIGINS: 'https://app.example.com' });
    expect(await granted(server, 'https://app.example.com')).toBe('https://app.example.com');
    expect(await granted(server, 'http://localhost:5173')).toBeNull();
    expect(await granted(server, 'http://localhost:5173')).toBeNull();
    const refusals = server.logs.lines.filter((line) => line.includes('CORS: refused browser origin http://localhost:5173'));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toContain('CORS_ORIGINS');
  });

  it('says at start when a hardened server has no CORS_ORIGINS: browsers cannot call', async () => {
    const server = await pool.serve({ NODE_ENV: '', GRAPHQL_INTROSPECTION: '' });
    expect(server.logs.text).toContain('CORS_ORIGINS is empty: browser pages on other origins cannot call /graphql');
  });
});
