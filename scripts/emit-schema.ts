// Writes schema/schema.graphql from the type-graphql classes; with --check, fails if the committed file differs.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printGraphQLSchema } from '../src/graphql/schema';

const file = join(__dirname, '..', 'schema', 'schema.graphql');
const sdl = printGraphQLSchema();

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(file, 'utf8');
  } catch {
    // A missing file is drift too.
  }
  if (committed !== sdl) {
    process.stderr.write('schema/schema.graphql is out of date with the code: run `npm run schema` and commit it.\n');
    process.exit(1);
  }
  process.stdout.write('schema/schema.graphql matches the code.\n');
} else {
  writeFileSync(file, sdl);
  process.stdout.write(`wrote ${file}\n`);
}
