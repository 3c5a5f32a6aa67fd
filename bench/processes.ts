// The processes a bench run starts and reads: free ports, launching pinned to cores, waiting for one
// to answer, one request on its own connection, and a process's CPU time and peak memory.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';

export const root = join(__dirname, '..');
export const tsx = require.resolve('tsx/cjs');
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** The Node flags `npm start` runs the server with (package.json's `start`), so (d) and (e) run as deployed. */
export function startFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [node, ...args] = scripts.start.split(/\s+/);
  if (node !== 'node' || args.at(-1) !== 'dist/main.js') {
    throw new Error(`package.json's start is not "node [flags] dist/main.js": ${scripts.start}`);
  }
  return args.slice(0, -1);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Two cores or more: the server alone on core 0, the load and the fake on the others. BENCH_PINNED=0
// pins nothing, as production servers share their cores with other processes.
export const MULTICORE = process.env.BENCH_PINNED !== '0' && cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0;
export const pinned = (cores: string, command: string, args: string[]) =>
  MULTICORE ? { command: 'taskset', args: ['-c', cores, command, ...args] } : { command, args };

export function launch(cores: string, args: string[], env: Record<string, string>): ChildProcess {
  const { command, args: full } = pinned(cores, process.execPath, args);
  // Output to /dev/null: a deployed server logs to a file descriptor nobody blocks on.
  return spawn(command, full, { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
}

export async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      // not yet
    }
    await sleep(50);
  }
  throw new Error(`${url} did not come up`);
}

// utime + stime of a process (and its threads), in microseconds; VmHWM in MiB.
export function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}
export function peakRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'))!;
  return Math.round(Number(line.split(/\s+/)[1]) / 1024);
}

// One request on a connection of its own. fetch's pooled keep-alive connection could be one that
// the server closes as idle (60 s) just as it is reused, which failed a full run once.
export function once(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
