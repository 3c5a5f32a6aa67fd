import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig, JwtKeySource } from '../config/load-config';
import { hashApiKey } from './api-keys';
import { AuthError } from './auth.error';
import { ANONYMOUS, READ_SCOPE, SEND_SCOPE, type Caller } from './caller';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const MAX_TOKEN_LENGTH = 8192;
const CLOCK_TOLERANCE_SECONDS = 5;
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

const unauthenticated = (reason: string, message = 'The bearer token is missing, invalid or expired.') =>
  new AuthError('UNAUTHENTICATED', message, reason);

// Only the algorithms the configured key can verify: a token cannot pick a weaker one.
function algorithmsFor(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      return [curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : 'ES256'];
    }
    default:
      return ['EdDSA', 'Ed25519'];
  }
}

type Verifier = (token: string) => Promise<JWTPayload>;

function jwtVerifier(key: JwtKeySource, issuer: string | undefined, audience: string | undefined, maxAge: string | undefined): Verifier {
  // With a maximum age, jose refuses a token issued longer ago than it (by iat), and one without iat.
  const options = {
    issuer,
    audience,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: maxAge === undefined ? ['exp', 'sub'] : ['exp', 'sub', 'iat'],
    ...(maxAge === undefined ? {} : { maxTokenAge: /^\d+$/.test(maxAge) ? Number(maxAge) : maxAge }),
  };
  switch (key.kind) {
    case 'jwks': {
      const keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(key.url), { timeoutDuration: 5000, cooldownDuration: 30_000 });
      return async (token) => (await jwtVerify(token, keys, { ...options, algorithms: ASYMMETRIC })).payload;
    }
    case 'public-key': {
      const publicKey = createPublicKey(key.pem);
      const algorithms = algorithmsFor(publicKey);
      return async (token) => (await jwtVerify(token, publicKey, { ...options, algorithms })).payload;
    }
    case 'secret': {
      const secret = new TextEncoder().encode(key.secret);
      return async (token) => (await jwtVerify(token, secret, { ...options, algorithms: ['HS256'] })).payload;
    }
  }
}

/** The scopes a token grants, from `scope` (space-separated) or `scp` (a list, or space-separated). */
function scopesOf(payload: JWTPayload): Set<string> {
  const { scope, scp } = payload as { scope?: unknown; scp?: unknown };
  const scopes = new Set<string>();
  if (typeof scope === 'string') for (const item of scope.split(' ')) scopes.add(item);
  if (typeof scp === 'string') for (const item of scp.split(' ')) scopes.add(item);
  if (Array.isArray(scp)) for (const item of scp) if (typeof item === 'string') scopes.add(item);
  return scopes;
}

// jose's own code says what was wrong (expired, bad signature, wrong audience); it is logged, not sent.
function describeJwtFailure(error: unknown): AuthError {
  // Not jose's verdict on the token but a failure to fetch or read the key set (fetch's TypeError
  // comes from another realm under jest, so no `instanceof Error` here).
  if (!(error instanceof joseErrors.JOSEError) || error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
    return new AuthError(
      'SERVICE_UNAVAILABLE',
      'Tokens cannot be checked right now (the key set is unreachable). Retry shortly.',
      String(error),
    );
  }
  const code = error.code;
  if (error instanceof joseErrors.JWTClaimValidationFailed) return unauthenticated(`${code}: ${error.claim} ${error.reason}`);
  return unauthenticated(code);
}

/** Turns an `Authorization` header into a caller, or refuses with `AuthError`. */
export class Authenticator {
  private readonly verifyJwt: Verifier | undefined;

  constructor(private readonly config: AuthConfig) {
    const jwt = config.jwt;
    this.verifyJwt = jwt ? jwtVerifier(jwt.key, jwt.issuer, jwt.audience, jwt.maxAge) : undefined;
  }

  /** True when no callers are configured: every request runs as `anonymous`. */
  get open(): boolean {
    return this.config.open;
  }

  async authenticate(header: string | undefined): Promise<Caller> {
    if (this.config.open) return ANONYMOUS;
    if (header === undefined || header === '') {
      throw unauthenticated('no Authorization header', 'Authorization: Bearer <token> is required.');
    }
    if (header.length > MAX_TOKEN_LENGTH) throw unauthenticated('token too long');
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) throw unauthenticated('not a Bearer token', 'Authorization: Bearer <token> is required.');

    if (this.verifyJwt && JWT_SHAPE.test(token)) {
      let payload: JWTPayload;
      try {
        payload = await this.verifyJwt(token);
      } catch (error) {
        throw describeJwtFailure(error);
      }
      if (typeof payload.sub !== 'string' || payload.sub === '') throw unauthenticated('JWT without sub');
      const scopes = scopesOf(payload);
      if (!scopes.has(SEND_SCOPE) && !scopes.has(READ_SCOPE)) {
        throw new AuthError(
          'FORBIDDEN',
          `The token does not grant the ${SEND_SCOPE} scope (or ${READ_SCOPE}, for lookups).`,
          'missing scope',
        );
      }
      // exp is required (requiredClaims), so every JWT caller has an end.
      return { id: payload.sub, kind: 'jwt', canSend: scopes.has(SEND_SCOPE), expiresAt: payload.exp! * 1000 };
    }

    const callerId = this.config.apiKeys.get(hashApiKey(token));
    if (callerId === undefined) throw unauthenticated(this.config.apiKeys.size > 0 ? 'unknown API key' : 'not a JWT');
    return { id: callerId, kind: 'api-key', canSend: true };
  }
}
