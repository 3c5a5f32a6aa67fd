import { Authenticator } from '../../src/auth/authenticator';
import { AuthError } from '../../src/auth/auth.error';
import { loadConfig } from '../../src/config/load-config';
import { API_KEY_OPS, API_KEYS, hsToken, JWT_TEST_SECRET } from '../support/tokens';

// The authenticator's whole matrix, without HTTP: which header becomes which caller or refusal.
const withKeys = new Authenticator(loadConfig({ API_KEYS }).auth);
const withJwt = new Authenticator(
  loadConfig({ API_KEYS, JWT_SECRET: JWT_TEST_SECRET, JWT_ISSUER: 'https://id.example.com', JWT_AUDIENCE: 'sms', JWT_MAX_AGE: '1h' }).auth,
);
const good = { scope: 'sms:send', iss: 'https://id.example.com', aud: 'sms' };

async function refusal(authenticator: Authenticator, header: string | undefined): Promise<[string, number]> {
  try {
    await authenticator.authenticate(header);
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return [(error as AuthError).code, (error as AuthError).statusCode];
  }
  throw new Error('expected a refusal');
}

describe('Authenticator', () => {
  it('lets everyone in as anonymous when no callers are configured', async () => {
    const open = new Authenticator(loadConfig({}).auth);
    expect(open.open).toBe(true);
    expect(await open.authenticate(undefined)).toEqual({ id: 'anonymous', kind: 'anonymous', canSend: true });
  });

  it('turns a known API key into its caller', async () => {
    expect(await withKeys.authenticate(`Bearer ${API_KEY_OPS}`)).toEqual({ id: 'ops', kind: 'api-key', canSend: true });
    expect(await withKeys.authenticate(`bearer   ${API_KEY_OPS} `)).toEqual({ id: 'ops', kind: 'api-key', canSend: true });
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['Basic credentials', 'Basic dXNlcjpwYXNz'],
    ['an unknown key', 'Bearer usk_unknown-key-0123456789abcdefghijklmnop'],
    ['a token over 8 KiB', `Bearer ${'a'.repeat(9000)}`],
    ['a header with a space inside the token', `Bearer ${API_KEY_OPS} extra`],
  ])('refuses %s: 401 UNAUTHENTICATED', async (_name, header) => {
    expect(await refusal(withKeys, header)).toEqual(['UNAUTHENTICATED', 401]);
  });

  it('turns a good JWT into its sub, beside API keys', async () => {
    expect(await withJwt.authenticate(`Bearer ${await hsToken({ ...good, sub: 'user-42' })}`)).toEqual({
      id: 'user-42',
      kind: 'jwt',
      canSend: true,
      expiresAt: expect.any(Number),
    });
    expect(await withJwt.authenticate(`Bearer ${API_KEY_OPS}`)).toEqual({ id: 'ops', kind: 'api-key', canSend: true });
  });

  it.each([
    ['expired', { ...good, exp: -60 }, 'UNAUTHENTICATED'],
    ['from another issuer', { ...good, iss: 'https://evil.example.com' }, 'UNAUTHENTICATED'],
    ['for another audience', { ...good, aud: 'other' }, 'UNAUTHENTICATED'],
    ['signed with another secret', { ...good, secret: 'another-secret-that-is-32-bytes-long!!' }, 'UNAUTHENTICATED'],
    ['older than JWT_MAX_AGE', { ...good, age: 7200, exp: 600 }, 'UNAUTHENTICATED'],
    ['without a sub', { ...good, sub: '' }, 'UNAUTHENTICATED'],
    ['with neither sms:send nor sms:read', { ...good, scope: 'openid profile' }, 'FORBIDDEN'],
  ])('refuses a JWT %s', async (_name, options, code) => {
    const [refused] = await refusal(withJwt, `Bearer ${await hsToken(options)}`);
    expect(refused).toBe(code);
  });

  it('lets a JWT with sms:read only in, as a caller that may not send', async () => {
    expect(await withJwt.authenticate(`Bearer ${await hsToken({ ...good, scope: 'sms:read', sub: 'reader' })}`)).toEqual({
      id: 'reader',
      kind: 'jwt',
      canSend: false,
      expiresAt: expect.any(Number),
    });
  });

  it('refuses an unsigned (alg none) token', async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const exp = Math.floor(Date.now() / 1000) + 300;
    const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ ...good, sub: 'x', exp, iat: exp - 300 })}.`;
    expect(await refusal(withJwt, `Bearer ${unsigned}`)).toEqual(['UNAUTHENTICATED', 401]);
  });
});
