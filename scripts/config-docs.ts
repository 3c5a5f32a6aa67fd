// Writes .env.example and the README's configuration table from src/config/variables.ts; with
// --check, fails if either differs from what is committed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configDocs } from './render-config-docs';

const root = join(__dirname, '..');
const files = { envExample: join(root, '.env.example'), readme: join(root, 'README.md') };
const wanted = configDocs(readFileSync(files.readme, 'utf8'));

if (process.argv.includes('--check')) {
  const stale = (Object.keys(files) as (keyof typeof files)[]).filter((key) => readFileSync(files[key], 'utf8') !== wanted[key]);
  if (stale.length > 0) {
    process.stderr.write(
      `${stale.map((key) => files[key]).join(', ')} out of date with src/config/variables.ts: run \`npm run config:docs\`.\n`,
    );
    process.exit(1);
  }
  process.stdout.write('.env.example and the README table match src/config/variables.ts.\n');
} else {
  writeFileSync(files.envExample, wanted.envExample);
  writeFileSync(files.readme, wanted.readme);
  process.stdout.write(`wrote ${files.envExample} and the table in ${files.readme}\n`);
}
