import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { satisfies } from 'semver';
import { supportedNode } from '../../src/supported-node';

describe('supportedNode', () => {
  it("agrees with package.json's engines", () => {
    const { engines } = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { engines: { node: string } };
    const versions = [
      '18.20.0',
      '20.20.2',
      '21.7.0',
      '22.0.0',
      '22.11.9',
      '22.12.0',
      '22.23.3',
      '23.11.0',
      '24.0.0',
      '24.21.0',
      '25.1.0',
      '26.0.0',
    ];
    for (const version of versions) expect([version, supportedNode(version)]).toEqual([version, satisfies(version, engines.node)]);
  });
});
