// Writes schema/schema.graphql and schema/possible-types.json from the type-graphql classes; with
// --check, fails if either committed file differs.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildGraphQLSchema, printGraphQLSchema, printPossibleTypes } from '../src/graphql/schema';

const schema = buildGraphQLSchema();
const files: [string, string][] = [
  [join(__dirname, '..', 'schema', 'schema.graphql'), printGraphQLSchema(schema)],
  [join(__dirname, '..', 'schema', 'possible-types.json'), printPossibleTypes(schema)],
];

if (process.argv.includes('--check')) {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return ''; // A missing file is drift too.
    }
  };
  const stale = files.filter(([file, text]) => read(file) !== text).map(([file]) => file);
  if (stale.length > 0) {
    process.stderr.write(`${stale.join(', ')} out of date with the code: run \`npm run schema\` and commit.\n`);
    process.exit(1);
  }
  process.stdout.write('schema/schema.graphql and schema/possible-types.json match the code.\n');
} else {
  for (const [file, text] of files) writeFileSync(file, text);
  process.stdout.write(`wrote ${files.map(([file]) => file).join(' and ')}\n`);
}
