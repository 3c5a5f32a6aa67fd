// Writes .env.example and the docs' generated tables from src/config/variables.ts; with --check, fails
// if any differs from what is committed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configDocs, TABLE_DOCS } from './render-config-docs';

const root = join(__dirname, '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const wanted = configDocs(Object.fromEntries(TABLE_DOCS.map((doc) => [doc, read(doc)])));

if (process.argv.includes('--check')) {
  const stale = Object.keys(wanted).filter((path) => read(path) !== wanted[path]);
  if (stale.length > 0) {
    process.stderr.write(`${stale.join(', ')} out of date with src/config/variables.ts: run \`npm run config:docs\`.\n`);
    process.exit(1);
  }
  process.stdout.write(`${Object.keys(wanted).join(', ')} match src/config/variables.ts.\n`);
} else {
  for (const [path, text] of Object.entries(wanted)) writeFileSync(join(root, path), text);
  process.stdout.write(`wrote ${Object.keys(wanted).join(', ')}\n`);
}
