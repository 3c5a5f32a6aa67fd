// Once before every test file: generate the consumer types from the committed schema, so the files
// that compile or bundle them (consumer, web) never race each other writing examples/generated/.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async () => {
  const root = join(__dirname, '..');
  execFileSync(join(root, 'node_modules/.bin/graphql-codegen'), ['--config', 'codegen.yml', '--silent'], { cwd: root, stdio: 'pipe' });
};
