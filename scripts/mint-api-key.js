#!/usr/bin/env node
// Mints an API key for a caller: prints the key (give it to the caller, once) and the API_KEYS
// entry (only its sha256 hash, which is all the server keeps). Plain JavaScript so it runs from a
// production install without the dev tools: `npm run --silent api-key -- <callerId>`.
const { createHash, randomBytes } = require('node:crypto');

const callerId = process.argv[2];
if (!callerId || !/^[\w.@-]{1,64}$/.test(callerId)) {
  process.stderr.write('Usage: npm run --silent api-key -- <callerId>   (letters, digits, . _ @ -; at most 64)\n');
  process.exit(2);
}
const key = `usk_${randomBytes(32).toString('base64url')}`;
const hash = createHash('sha256').update(key).digest('hex');
process.stdout.write(`API key for ${callerId} (shown once; the caller sends it as "Authorization: Bearer <key>"):\n  ${key}\n`);
process.stdout.write(`Add this entry to API_KEYS (comma-separated with the others):\n  ${callerId}:${hash}\n`);
