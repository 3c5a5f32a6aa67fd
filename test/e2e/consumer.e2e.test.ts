import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useFakeUspeedo } from '../support/fake-uspeedo';
import { startServer, type TestServer } from '../support/server';
import { API_KEY_OPS, API_KEYS } from '../support/tokens';

const root = join(__dirname, '../..');
const bin = (name: string) => join(root, 'node_modules/.bin', name);
const typecheck = () => execFileSync(bin('tsc'), ['-p', 'examples/tsconfig.json'], { cwd: root, encoding: 'utf8', stdio: 'pipe' });

const upstream = useFakeUspeedo();
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ USPEEDO_BASE_URL: upstream.url, API_KEYS });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await upstream?.close();
});

describe('a consumer of the generated types', () => {
  it('type-checks while narrowing the result union on __typename', () => {
    expect(() => typecheck()).not.toThrow();
  }, 60_000);

  it('the web example (examples/web) type-checks against the same generated types', () => {
    expect(() =>
      execFileSync(bin('tsc'), ['-p', 'examples/web/tsconfig.json'], { cwd: root, encoding: 'utf8', stdio: 'pipe' }),
    ).not.toThrow();
  }, 60_000);

  it('cannot read an error field without narrowing first', () => {
    const file = join(root, 'examples/consumer/unnarrowed.ts');
    writeFileSync(
      file,
      "import type { SendBatchSmsMutation } from '../generated/graphql';\n" +
        "export const code = (r: SendBatchSmsMutation['sendBatchSms']) => r.code;\n",
    );
    try {
      let output = '';
      try {
        typecheck();
      } catch (error) {
        output = String((error as { stdout?: string }).stdout);
      }
      expect(output).toMatch(/unnarrowed\.ts.*Property 'code' does not exist/);
    } finally {
      rmSync(file);
    }
  }, 60_000);

  it('takes an input without its optional fields (idempotencyKey, templateParams), as the schema has them', () => {
    const file = join(root, 'examples/consumer/optional-inputs.ts');
    writeFileSync(
      file,
      "import type { SendBatchSmsInput } from '../generated/graphql';\n" +
        "export const input: SendBatchSmsInput = { taskContent: [{ templateId: 't', senderId: 'S', target: [{ phone: '13800138000' }] }] };\n",
    );
    try {
      expect(() => typecheck()).not.toThrow();
    } finally {
      rmSync(file);
    }
  }, 60_000);

  it('sends with the generated typed document and its Authorization header, and reads both members', async () => {
    // Loaded by path: the root type-check must not depend on files that codegen writes.
    const consumer = join(root, 'examples/consumer/send-batch-sms');
    const { sendBatch } = (await import(consumer)) as { sendBatch: (url: string, token: string | null, input: unknown) => Promise<string> };
    const url = `${server.url}/graphql`;
    await expect(sendBatch(url, null, { taskContent: [] })).rejects.toThrow(/Authorization/i);
    expect(
      await sendBatch(url, API_KEY_OPS, {
        taskContent: [{ templateId: 't', senderId: 'S', target: [{ phone: '13800138000', templateParams: null }] }],
      }),
    ).toBe('sent 1 session(s)');
    expect(
      await sendBatch(url, API_KEY_OPS, {
        taskContent: [{ templateId: 't', senderId: 'S', target: [{ phone: 'nope', templateParams: null }] }],
      }),
    ).toMatch(/^INVALID_INPUT: .*\[taskContent\.0\.target\.0\.phone: must be written as/);
    expect(upstream.calls).toHaveLength(1);
  });
});

describe("docs/frontend.md's codegen set-up for your own app (examples/app)", () => {
  const app = join(root, 'examples/app');

  it('is the codegen.ts the docs show, and generates types that compile with its named fragment', () => {
    const readme = readFileSync(join(root, 'docs/frontend.md'), 'utf8');
    expect(readme).toContain('```ts\n' + readFileSync(join(app, 'codegen.ts'), 'utf8') + '```');
    // As an app would: the committed schema copied beside its codegen.ts.
    copyFileSync(join(root, 'schema/schema.graphql'), join(app, 'schema.graphql'));
    rmSync(join(app, 'src/generated'), { recursive: true, force: true });
    execFileSync(bin('graphql-codegen'), ['--config', 'codegen.ts'], { cwd: app, encoding: 'utf8', stdio: 'pipe' });
    expect(() =>
      execFileSync(bin('tsc'), ['-p', 'examples/app/tsconfig.json'], { cwd: root, encoding: 'utf8', stdio: 'pipe' }),
    ).not.toThrow();
    // The possibleTypes import the README shows, in plain Node ESM.
    const printed = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const { possibleTypes } = await import('./src/possible-types.mjs'); console.log(JSON.stringify(possibleTypes.SendBatchSmsResult));",
      ],
      { cwd: app, encoding: 'utf8' },
    );
    expect(JSON.parse(printed)).toEqual(['SendBatchSmsError', 'SendBatchSmsSuccess']);
  }, 90_000);
});
