/** Who is calling: an API key's caller id, a JWT's `sub`, or `anonymous` when auth is off. */
export interface Caller {
  id: string;
  kind: 'api-key' | 'jwt' | 'anonymous';
}

/** The caller every request runs as when no callers are configured. */
export const ANONYMOUS: Caller = Object.freeze({ id: 'anonymous', kind: 'anonymous' });

/** The scope a JWT must grant to call this API. */
export const SEND_SCOPE = 'sms:send';

/** Quota and idempotency scope: kind and id, so API key `ops` and JWT subject `ops` never share one. */
export const callerKey = (caller: Caller): string => `${caller.kind}:${caller.id}`;
