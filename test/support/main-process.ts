import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The real entry point, as `npm start` runs it (through tsx instead of the build, to keep this fast),
// in an empty folder so a developer's own .env cannot change the outcome.
const main = join(__dirname, '../../src/main.ts');
const tsx = require.resolve('tsx/cjs');
const tsconfig = join(__dirname, '../../tsconfig.json');

/** Starts `src/main.ts` as `npm start` would, in an empty folder, with only `env` (and PATH). */
export function start(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--require', tsx, main], {
    cwd: mkdtempSync(join(tmpdir(), 'sms-main-')),
    env: { PATH: process.env.PATH ?? '', TSX_TSCONFIG_PATH: tsconfig, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

const LISTENING = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/;

/** Waits until a started process listens (up to `ms`): its base URL, `http://127.0.0.1:<port>`. */
export async function listeningUrl(run: { output: () => string }, ms?: number): Promise<string> {
  await until(() => LISTENING.test(run.output()), ms);
  return `http://127.0.0.1:${LISTENING.exec(run.output())![1]}`;
}

/** Waits until `predicate` holds, polling every 50 ms. */
export async function until(predicate: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
