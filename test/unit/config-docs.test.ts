import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configDocs, TABLE_DOCS } from '../../scripts/render-config-docs';
import { loadConfig } from '../../src/config/load-config';
import { VARIABLES } from '../../src/config/variables';

// One source per fact: every variable's name, default and description live in src/config/variables.ts.
describe('the variables table', () => {
  const root = join(__dirname, '../..');

  it("is what .env.example and the docs' tables say (run `npm run config:docs` after changing it)", () => {
    const read = (path: string) => readFileSync(join(root, path), 'utf8');
    const wanted = configDocs(Object.fromEntries(TABLE_DOCS.map((doc) => [doc, read(doc)])));
    expect(Object.keys(wanted).sort()).toEqual(['.env.example', 'docs/api.md', 'docs/configuration.md']);
    for (const [path, text] of Object.entries(wanted)) expect(read(path)).toBe(text);
  });

  it('gives defaults loadConfig accepts as they are: .env.example copied to .env starts the server', () => {
    const env = Object.fromEntries(Object.entries(VARIABLES).map(([name, variable]) => [name, variable.default]));
    expect(loadConfig(env)).toEqual(loadConfig({}));
  });
});
