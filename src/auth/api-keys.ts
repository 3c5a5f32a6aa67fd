import { createHash } from 'node:crypto';

/** The form stored in `API_KEYS`: sha256 of the key, hex. Keys are minted by `scripts/mint-api-key.js`. */
export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');
