import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configDocs } from '../../scripts/render-config-docs';
import { loadConfig } from '../../src/config/load-config';
import { VARIABLES } from '../../src/config/variables';

// One source per fact: every variable's name, default and description live in src/config/variables.ts.
describe('the variables table', () => {
  const root = join(__dirname, '../..');

  it('is what .env.example and the README table say (run `npm run config:docs` after changing it)', () => {
    const wanted = configDocs(readFileSync(join(root, 'README.md'), 'utf8'));
    expect(readFileSync(join(root, '.env.example'), 'utf8')).toBe(wanted.envExample);
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toBe(wanted.readme);
  });

  it('gives defaults loadConfig accepts as they are: .env.example copied to .env starts the server', () => {
    const env = Object.fromEntries(Object.entries(VARIABLES).map(([name, variable]) => [name, variable.default]));
    expect(loadConfig(env)).toEqual(loadConfig({}));
  });
});
