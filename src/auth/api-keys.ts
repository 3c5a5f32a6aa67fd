import { createHash, randomBytes } from 'node:crypto';

/** Prefix of keys minted here, so a leaked one is recognisable in a secret scanner. */
export const API_KEY_PREFIX = 'usk_';

/** The form stored in `API_KEYS`: sha256 of the key, hex. */
export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** A new random key (256 bits) and its `API_KEYS` entry for `callerId`. */
export function mintApiKey(callerId: string): { key: string; entry: string } {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, entry: `${callerId}:${hashApiKey(key)}` };
}
