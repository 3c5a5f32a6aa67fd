import { createHash, generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, SignJWT } from 'jose';

/** The HS256 secret test servers share with this helper. */
export const JWT_TEST_SECRET = 'test-jwt-secret-at-least-32-bytes-long!!';

/** Two API keys and the `API_KEYS` value that admits them. */
export const API_KEY_OPS = 'usk_test-ops-key-0123456789abcdefghijklmnopqrstuv';
export const API_KEY_WEB = 'usk_test-web-key-0123456789abcdefghijklmnopqrstuv';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
export const API_KEYS = `ops:${sha256(API_KEY_OPS)},web:${sha256(API_KEY_WEB)}`;

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Claims and header of a test JWT; `exp` is in seconds from now (negative = expired). */
export interface TokenOptions {
  sub?: string;
  scope?: string;
  scp?: string[];
  iss?: string;
  aud?: string;
  exp?: number;
  /** Issued this many seconds ago (default now). */
  age?: number;
  secret?: string;
}

/** Signs an HS256 token with the test secret (or `secret`). */
export function hsToken(options: TokenOptions = {}): Promise<string> {
  return sign(options, new TextEncoder().encode(options.secret ?? JWT_TEST_SECRET), { alg: 'HS256' });
}

function sign(options: TokenOptions, key: Parameters<SignJWT['sign']>[0], header: { alg: string; kid?: string }): Promise<string> {
  const claims: Record<string, unknown> = {};
  if (options.scope !== undefined) claims.scope = options.scope;
  if (options.scp !== undefined) claims.scp = options.scp;
  let jwt = new SignJWT(claims).setProtectedHeader(header).setIssuedAt(Math.floor(Date.now() / 1000) - (options.age ?? 0));
  if (options.sub !== '') jwt = jwt.setSubject(options.sub ?? 'user-1');
  if (options.iss) jwt = jwt.setIssuer(options.iss);
  if (options.aud) jwt = jwt.setAudience(options.aud);
  jwt = jwt.setExpirationTime(Math.floor(Date.now() / 1000) + (options.exp ?? 300));
  return jwt.sign(key);
}

/** An RS256 key pair served as a JWKS on loopback, like an identity provider's. */
export class JwksServer {
  readonly publicKeyPem: string;
  private readonly privateKey;
  requests = 0;
  /** How long the key set takes to be served: a token check that fetches it stays in flight that long. */
  delayMs = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    keys: ReturnType<typeof generateKeyPairSync>,
  ) {
    this.privateKey = keys.privateKey;
    this.publicKeyPem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  static async start(): Promise<JwksServer> {
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    let self: JwksServer | undefined;
    const server = createServer((_req, res) => {
      self!.requests++;
      res.setHeader('content-type', 'application/json');
      setTimeout(() => res.end(JSON.stringify({ keys: [jwk] })), self!.delayMs);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new JwksServer(server, `http://127.0.0.1:${port}/.well-known/jwks.json`, keys);
    return self;
  }

  /** Signs an RS256 token with this server's private key. */
  token(options: TokenOptions = {}): Promise<string> {
    return sign(options, this.privateKey, { alg: 'RS256', kid: 'test-key' });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
