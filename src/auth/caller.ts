/** Who is calling: an API key's caller id, a JWT's `sub`, or `anonymous` when auth is off. */
export interface Caller {
  id: string;
  kind: 'api-key' | 'jwt' | 'anonymous';
  /** May send (API keys, anonymous, a JWT with sms:send); otherwise only look up (a JWT with sms:read). */
  canSend: boolean;
  /** When a JWT caller's token expires (ms since the epoch): a connection that outlives it must end then. */
  expiresAt?: number;
}

/** The caller every request runs as when no callers are configured. */
export const ANONYMOUS: Caller = Object.freeze({ id: 'anonymous', kind: 'anonymous', canSend: true });

/** The scope a JWT must grant to send (it implies READ_SCOPE). */
export const SEND_SCOPE = 'sms:send';

/** The scope a JWT must grant to look up delivery status and templates. */
export const READ_SCOPE = 'sms:read';

/** Quota and idempotency scope: kind and id, so API key `ops` and JWT subject `ops` never share one. */
export const callerKey = (caller: Caller): string => `${caller.kind}:${caller.id}`;
