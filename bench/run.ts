// `npm run bench`: every variant against one fake uSpeedo, the load from autocannon in its own process,
// interleaved repeats, medians, ratios. Writes results/latest.{json,md,svg}. See bench/README.md.
import 'reflect-metadata';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from '../test/support/redis-server';
import { RedisClusterSet, RedisSentinelSet } from '../test/support/redis-topologies';
import { SEED_SESSIONS } from './seed-sessions';
import { renderResults, type BenchResults, type Cell, type StatusCell, type Summary } from './render';

const root = join(__dirname, '..');
const tsx = require.resolve('tsx/cjs');
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const API_KEY = 'usk_bench-key-0123456789abcdefghijklmnopqrstuvwxyz';
const STATUS_QUERY =
  'query Status($sessionNos: [String!]!) { smsDeliveryStatus(sessionNos: $sessionNos) { __typename ... on SmsDeliveryStatus { sessions { sessionNo known receipts { phone status } } } ... on SmsQueryError { code message } } }';
/** The variants the delivery-status cell runs: this server lean and guarded, and the hand-written ky lookup. */
const STATUS_VARIANTS: readonly Variant[] = ['b-ky-forwarder', 'd-lean', 'e-guarded'];
const QUERY =
  'mutation Send($input: SendBatchSmsInput!) { sendBatchSms(input: $input) { __typename ... on SendBatchSmsSuccess { sessionNos failedTargetPhones { phone failureReason } } ... on SendBatchSmsError { code message } } }';

export type Variant =
  | 'a-direct'
  | 'b-ky-forwarder'
  | 'b2-ky-undici-forwarder'
  | 'c-undici-forwarder'
  | 'd-lean'
  | 'e-guarded'
  | 'e-guarded-redis'
  | 'e-guarded-sentinel'
  | 'e-guarded-sentinel-nowait'
  | 'e-guarded-cluster'
  | 'e-guarded-cluster-nowait'
  | 'f-mesh'
  | 'f-mesh-jit';

export interface BenchOptions {
  durationSeconds: number;
  warmupSeconds: number;
  repeats: number;
  sizes: number[];
  variants: Variant[];
  connections: number;
  outDir: string;
  redisUrl?: string;
  /** The variables that reach a Sentinel set (REDIS_SENTINELS, REDIS_SENTINEL_MASTER) and a Cluster (REDIS_CLUSTER_NODES). */
  redisSentinel?: Record<string, string>;
  redisCluster?: Record<string, string>;
  /** Node flags for this server's variants (d, e): `npm start`'s own, then any from BENCH_SERVER_NODE_FLAGS. */
  serverNodeFlags: string[];
  log?: (line: string) => void;
}

/** The Node flags `npm start` runs the server with (package.json's `start`), so (d) and (e) run as deployed. */
function startFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [node, ...args] = scripts.start.split(/\s+/);
  if (node !== 'node' || args.at(-1) !== 'dist/main.js') {
    throw new Error(`package.json's start is not "node [flags] dist/main.js": ${scripts.start}`);
  }
  return args.slice(0, -1);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Two cores or more: the server alone on core 0, the load and the fake on the others. BENCH_PINNED=0
// pins nothing, as production servers share their cores with other processes.
const MULTICORE = process.env.BENCH_PINNED !== '0' && cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0;
const pinned = (cores: string, command: string, args: string[]) =>
  MULTICORE ? { command: 'taskset', args: ['-c', cores, command, ...args] } : { command, args };

function launch(cores: string, args: string[], env: Record<string, string>): ChildProcess {
  const { command, args: full } = pinned(cores, process.execPath, args);
  // Output to /dev/null: a deployed server logs to a file descriptor nobody blocks on.
  return spawn(command, full, { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
}

async function waitFor(url: string): Promise<void> {
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
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}
function peakRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'))!;
  return Math.round(Number(line.split(/\s+/)[1]) / 1024);
}

const isMesh = (variant: Variant): variant is 'f-mesh' | 'f-mesh-jit' => variant === 'f-mesh' || variant === 'f-mesh-jit';
const MESH_DIR = join(root, 'bench/mesh');
const MESH_QUERY =
  'mutation Send($input: SendBatchRequest_Input) { sendBatchUSMSMessage(input: $input) { RetCode Message SessionNo FailedTargetPhones { Phone FailureReason } } }';

/** Installs the Mesh peer (bench/mesh, its own lockfile) on first use, and composes its supergraph. */
function prepareMesh(stateDir: string): string {
  const bin = (name: string) => join(MESH_DIR, 'node_modules/.bin', name);
  if (!existsSync(bin('hive-gateway'))) execFileSync('npm', ['ci', '--silent', '--prefix', MESH_DIR], { cwd: MESH_DIR, stdio: 'inherit' });
  const supergraph = join(stateDir, 'supergraph.graphql');
  if (!existsSync(supergraph)) execFileSync(bin('mesh-compose'), ['-o', supergraph], { cwd: MESH_DIR, stdio: 'ignore' });
  return supergraph;
}

const isForwarder = (variant: Variant): variant is 'b-ky-forwarder' | 'b2-ky-undici-forwarder' | 'c-undici-forwarder' =>
  variant === 'b-ky-forwarder' || variant === 'b2-ky-undici-forwarder' || variant === 'c-undici-forwarder';

function targets(size: number) {
  return Array.from({ length: size }, (_, i) => ({ phone: `1380013${String(i).padStart(4, '0')}`, templateParams: ['123456'] }));
}
function bodyFor(variant: Variant, size: number): string {
  const input = { taskContent: [{ templateId: 'template_id_1', senderId: 'USpeedo', target: targets(size) }] };
  if (variant === 'a-direct') {
    return JSON.stringify({
      TaskContent: [
        {
          TemplateId: 'template_id_1',
          SenderId: 'USpeedo',
          Target: targets(size).map((t) => ({ Phone: t.phone, TemplateParams: t.templateParams })),
        },
      ],
    });
  }
  if (isForwarder(variant)) return JSON.stringify({ input });
  if (isMesh(variant)) {
    // Mesh's own natural mutation: uSpeedo's body, as the OpenAPI description names it.
    const TaskContent = [
      {
        TemplateId: 'template_id_1',
        SenderId: 'USpeedo',
        Target: targets(size).map((t) => ({ Phone: t.phone, TemplateParams: t.templateParams })),
      },
    ];
    return JSON.stringify({ query: MESH_QUERY, variables: { input: { TaskContent } } });
  }
  return JSON.stringify({ query: QUERY, variables: { input } });
}

interface Running {
  variant: Variant;
  url: string;
  pid: number | null;
  child: ChildProcess | null;
}

async function startVariant(
  variant: Variant,
  fakeUrl: string,
  options: BenchOptions,
  stateDir: string,
  started: ChildProcess[],
): Promise<Running> {
  if (variant === 'a-direct') return { variant, url: `${fakeUrl}/api/v1/usms/SendBatchUSMSMessage`, pid: null, child: null };
  const port = await freePort();
  const base = { PORT: String(port), HOST: '127.0.0.1', USPEEDO_BASE_URL: fakeUrl };
  let child: ChildProcess;
  let url: string;
  if (isMesh(variant)) {
    const supergraph = prepareMesh(stateDir);
    const gateway = join(MESH_DIR, 'node_modules/@graphql-hive/gateway/dist/bin.js');
    const args = [
      gateway,
      'supergraph',
      supergraph,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      ...(variant === 'f-mesh-jit' ? ['--jit'] : []),
    ];
    const basic = Buffer.from('bench-id:bench-secret').toString('base64');
    const { command, args: full } = pinned('0', process.execPath, args);
    child = spawn(command, full, {
      cwd: MESH_DIR,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', USPEEDO_BASE_URL: fakeUrl, USPEEDO_BASIC: basic },
      stdio: 'ignore',
    });
    started.push(child);
    url = `http://127.0.0.1:${port}/graphql`;
    await waitFor(`http://127.0.0.1:${port}/healthcheck`);
  } else if (isForwarder(variant)) {
    const client = { 'b-ky-forwarder': 'ky', 'b2-ky-undici-forwarder': 'ky-undici', 'c-undici-forwarder': 'undici' }[variant];
    child = launch('0', ['--require', tsx, 'bench/forwarder.ts', client], base);
    started.push(child);
    url = `http://127.0.0.1:${port}/`;
    await waitFor(url);
  } else {
    const server = {
      ...base,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      // Every status query asks uSpeedo: the cell measures the lookup, not the cache.
      STATUS_CACHE_SECONDS: '0',
      USPEEDO_ACCESS_KEY_ID: 'bench-id',
      USPEEDO_ACCESS_KEY_SECRET: 'bench-secret',
    };
    const lean = {
      AUTH_DISABLED: 'true',
      RATE_LIMIT_CALLER_PER_MINUTE: '0',
      RATE_LIMIT_CALLER_PER_DAY: '0',
      RATE_LIMIT_PHONE_PER_HOUR: '0',
      RATE_LIMIT_PHONE_PER_DAY: '0',
      RATE_LIMIT_GLOBAL_PER_DAY: '0',
      RATE_LIMIT_STATUS_PER_MINUTE: '0',
      STATE_DB_PATH: join(stateDir, `${variant}.db`),
    };
    const high = '1000000000';
    const guarded = {
      API_KEYS: `bench:${createHash('sha256').update(API_KEY).digest('hex')}`,
      RATE_LIMIT_CALLER_PER_MINUTE: high,
      RATE_LIMIT_CALLER_PER_DAY: high,
      RATE_LIMIT_PHONE_PER_HOUR: high,
      RATE_LIMIT_PHONE_PER_DAY: high,
      RATE_LIMIT_GLOBAL_PER_DAY: high,
      RATE_LIMIT_STATUS_PER_MINUTE: high,
      STATE_DB_PATH: join(stateDir, `${variant}.db`),
      ...redisVariables(variant, options),
    };
    child = launch('0', [...options.serverNodeFlags, 'dist/main.js'], { ...server, ...(variant === 'd-lean' ? lean : guarded) });
    started.push(child);
    url = `http://127.0.0.1:${port}/graphql`;
    await waitFor(`http://127.0.0.1:${port}/healthz`);
  }
  return { variant, url, pid: child.pid!, child };
}

// The bench measures the guard, not persistence: it accepts whatever Redis it is given. The -nowait
// variants turn WAIT off (REDIS_MIN_REPLICAS_ACKS=0), so its cost shows on its own.
function redisVariables(variant: Variant, options: BenchOptions): Record<string, string> {
  const volatile = { REDIS_ALLOW_VOLATILE: 'true' };
  const noWait: Record<string, string> = variant.endsWith('-nowait') ? { REDIS_MIN_REPLICAS_ACKS: '0' } : {};
  if (variant === 'e-guarded-redis') return { REDIS_URL: options.redisUrl!, ...volatile };
  if (variant.startsWith('e-guarded-sentinel')) return { ...options.redisSentinel!, ...volatile, ...noWait };
  if (variant.startsWith('e-guarded-cluster')) return { ...options.redisCluster!, ...volatile, ...noWait };
  return {};
}

async function startOrKill(
  variant: Variant,
  fakeUrl: string,
  options: BenchOptions,
  stateDir: string,
  started: ChildProcess[],
): Promise<Running> {
  const before = new Set(started);
  try {
    return await startVariant(variant, fakeUrl, options, stateDir, started);
  } catch (error) {
    for (const child of started) if (!before.has(child)) child.kill('SIGKILL');
    throw error;
  }
}

// One request on a connection of its own. fetch's pooled keep-alive connection could be one that
// the server closes as idle (60 s) just as it is reused, which failed a full run once.
function once(
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

async function counts(fakeUrl: string): Promise<{ received: number; lookups: number }> {
  return JSON.parse((await once(fakeUrl)).text) as { received: number; lookups: number };
}

// The status cell's request: the 100 seeded sessions, as a GraphQL query or to the forwarder's /status.
const statusUrl = (running: Running) => (isForwarder(running.variant) ? running.url.replace(/\/$/, '/status') : running.url);
const statusBody = (variant: Variant) =>
  isForwarder(variant)
    ? JSON.stringify({ sessionNos: SEED_SESSIONS })
    : JSON.stringify({ query: STATUS_QUERY, variables: { sessionNos: SEED_SESSIONS } });

/** Sends the batch whose answer names the 100 sessions, so this server knows them as the caller's. */
async function seedSessions(running: Running): Promise<boolean> {
  if (isForwarder(running.variant)) return true;
  const input = { taskContent: [{ templateId: 'bench_seed_sessions', senderId: 'USpeedo', target: targets(1) }] };
  await once(running.url, {
    method: 'POST',
    headers: headersFor(running.variant),
    body: JSON.stringify({ query: QUERY, variables: { input } }),
  });
  const { status, text } = await once(statusUrl(running), {
    method: 'POST',
    headers: headersFor(running.variant),
    body: statusBody(running.variant),
  });
  const sessions = JSON.parse(text).data?.smsDeliveryStatus?.sessions as { known: boolean; receipts: unknown[] }[] | undefined;
  return status === 200 && sessions?.length === 100 && sessions.every((s) => s.known && s.receipts.length === 1);
}

async function sanity(running: Running, body: string): Promise<boolean> {
  const { status, text } = await once(running.url, { method: 'POST', headers: headersFor(running.variant), body });
  if (status !== 200) return false;
  if (running.variant === 'a-direct') return JSON.parse(text).RetCode === 0;
  if (isForwarder(running.variant)) return JSON.parse(text).ok === true;
  if (isMesh(running.variant)) return JSON.parse(text).data?.sendBatchUSMSMessage?.RetCode === 0;
  return JSON.parse(text).data?.sendBatchSms?.__typename === 'SendBatchSmsSuccess';
}

function headersFor(variant: Variant): Record<string, string> {
  return { 'content-type': 'application/json', ...(variant.startsWith('e-') ? { authorization: `Bearer ${API_KEY}` } : {}) };
}

function autocannon(url: string, bodyFile: string, variant: Variant, seconds: number, connections: number) {
  // Every request is a POST of the body file, a send or a status query alike.
  const headers = Object.entries(headersFor(variant)).flatMap(([k, v]) => ['-H', `${k}=${v}`]);
  const cli = require.resolve('autocannon/autocannon.js');
  const { command, args } = pinned(MULTICORE ? '1' : '0', process.execPath, [
    cli,
    '--json',
    '-c',
    String(connections),
    '-d',
    String(seconds),
    '-m',
    'POST',
    ...headers,
    '-i',
    bodyFile,
    url,
  ]);
  const out = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 2 ** 20 });
  return JSON.parse(out) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
    timeouts: number;
    '2xx': number;
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A cell's repeats: one entry per repeat in each list, and what each repeat's checks found. */
interface Samples {
  rps: number[];
  p50: number[];
  p99: number[];
  cpu: number[];
  checks: string[];
}
const samples = (): Samples => ({ rps: [], p50: [], p99: [], cpu: [], checks: [] });

/**
 * One repeat of one cell: `options.durationSeconds` of load, then its checks (no non-2xx, error or
 * timeout; the fake's count of `counter` matching the answers), added to `cell`. Resolves with the
 * server CPU per answer.
 */
async function measure(
  r: Running,
  url: string,
  bodyFile: string,
  fakeUrl: string,
  counter: 'received' | 'lookups',
  options: BenchOptions,
  cell: Samples,
  repeat: number,
): Promise<{ result: ReturnType<typeof autocannon>; cpuPerAnswer: number }> {
  const before = (await counts(fakeUrl))[counter];
  const cpu0 = r.pid ? cpuMicros(r.pid) : 0;
  const result = autocannon(url, bodyFile, r.variant, options.durationSeconds, options.connections);
  await sleep(200);
  const cpu1 = r.pid ? cpuMicros(r.pid) : 0;
  const seen = (await counts(fakeUrl))[counter] - before;
  const answers = result['2xx'];
  if (result.non2xx || result.errors || result.timeouts) {
    cell.checks.push(`repeat ${repeat + 1}: non2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}`);
  }
  // autocannon stops with requests still in flight (up to one per connection, and at the fake's
  // pace a second that it stops counting); those reach the fake unanswered.
  if (seen < answers || seen > answers + 2 * options.connections) {
    cell.checks.push(`repeat ${repeat + 1}: ${answers} answers but uSpeedo ${counter === 'received' ? 'received' : 'was asked'} ${seen}`);
  }
  const cpuPerAnswer = r.pid && answers ? (cpu1 - cpu0) / answers : 0;
  cell.rps.push(result.requests.average);
  cell.p50.push(result.latency.p50);
  cell.p99.push(result.latency.p99);
  cell.cpu.push(cpuPerAnswer);
  return { result, cpuPerAnswer };
}

/** Runs the whole benchmark and writes its results; resolves with them. */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  const stateDir = mkdtempSync(join(tmpdir(), 'sms-bench-'));
  const fakePort = await freePort();
  const fake = launch(MULTICORE ? '1' : '0', ['--require', tsx, 'bench/fake-uspeedo.ts'], { PORT: String(fakePort) });
  const fakeUrl = `http://127.0.0.1:${fakePort}`;
  await waitFor(fakeUrl);

  const running: Running[] = [];
  const started: ChildProcess[] = [];
  const runs = new Map<string, Samples>();
  try {
    for (const variant of options.variants) running.push(await startOrKill(variant, fakeUrl, options, stateDir, started));
    const bodies = new Map<string, string>();
    for (const r of running) {
      for (const size of options.sizes) {
        const file = join(stateDir, `${r.variant}-${size}.json`);
        writeFileSync(file, bodyFor(r.variant, size));
        bodies.set(`${r.variant}/${size}`, file);
        if (!(await sanity(r, readFileSync(file, 'utf8')))) {
          throw new Error(`${r.variant} did not answer a ${size}-target batch with a success`);
        }
        if (options.warmupSeconds > 0) autocannon(r.url, file, r.variant, options.warmupSeconds, options.connections);
      }
    }
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      for (const size of options.sizes) {
        for (const r of running) {
          const key = `${r.variant}/${size}`;
          const cell = runs.get(key) ?? samples();
          runs.set(key, cell);
          const { result, cpuPerAnswer } = await measure(r, r.url, bodies.get(key)!, fakeUrl, 'received', options, cell, repeat);
          log(
            `${key} #${repeat + 1}: ${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms, ${r.pid ? Math.round(cpuPerAnswer) : '-'} µs CPU/req`,
          );
        }
      }
    }
    const cells: Cell[] = [];
    for (const r of running) {
      const rss = r.pid ? peakRssMb(r.pid) : null;
      for (const size of options.sizes) {
        const c = runs.get(`${r.variant}/${size}`)!;
        const rps = median(c.rps);
        const cpu = median(c.cpu);
        cells.push({
          variant: r.variant,
          size,
          reqPerSec: Math.round(rps * 10) / 10,
          recipientsPerSec: Math.round(rps * size),
          p50Ms: median(c.p50),
          p99Ms: median(c.p99),
          cpuMicrosPerRequest: r.pid ? Math.round(cpu) : null,
          cpuMicrosPerRecipient: r.pid ? Math.round((cpu / size) * 100) / 100 : null,
          peakRssMb: rss,
          checks: c.checks,
        });
      }
    }
    const status = await statusCells(running, fakeUrl, options, stateDir, log);
    const results: BenchResults = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version, pinned: MULTICORE },
      options: {
        durationSeconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        repeats: options.repeats,
        connections: options.connections,
        sizes: options.sizes,
        serverNodeFlags: options.serverNodeFlags,
      },
      cells,
      status,
      summary: summarize(cells, status),
    };
    mkdirSync(options.outDir, { recursive: true });
    const rendered = await renderResults(results);
    writeFileSync(join(options.outDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(options.outDir, 'latest.md'), rendered.markdown);
    writeFileSync(join(options.outDir, 'latest.svg'), rendered.svg);
    return results;
  } finally {
    for (const child of started) child.kill('SIGTERM');
    fake.kill('SIGTERM');
  }
}

/**
 * The delivery-status cell: 100 known sessions a query, each query one lookup at uSpeedo, for this
 * server lean and guarded beside a hand-written ky forwarder of the same lookup.
 */
async function statusCells(
  running: Running[],
  fakeUrl: string,
  options: BenchOptions,
  stateDir: string,
  log: (line: string) => void,
): Promise<StatusCell[]> {
  const chosen = running.filter((r) => STATUS_VARIANTS.includes(r.variant));
  const runs = new Map<Variant, Samples>();
  for (const r of chosen) {
    if (!(await seedSessions(r))) throw new Error(`${r.variant} did not answer the 100 seeded sessions with a receipt each`);
    const file = join(stateDir, `${r.variant}-status.json`);
    writeFileSync(file, statusBody(r.variant));
    if (options.warmupSeconds > 0) autocannon(statusUrl(r), file, r.variant, options.warmupSeconds, options.connections);
    runs.set(r.variant, samples());
  }
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    for (const r of chosen) {
      const file = join(stateDir, `${r.variant}-status.json`);
      const { result } = await measure(r, statusUrl(r), file, fakeUrl, 'lookups', options, runs.get(r.variant)!, repeat);
      log(`status/${r.variant} #${repeat + 1}: ${Math.round(result.requests.average)} queries/s, p99 ${result.latency.p99} ms`);
    }
  }
  return chosen.map((r) => {
    const c = runs.get(r.variant)!;
    return {
      variant: r.variant,
      sessions: SEED_SESSIONS.length,
      queriesPerSec: Math.round(median(c.rps) * 10) / 10,
      p99Ms: median(c.p99),
      cpuMicrosPerQuery: r.pid ? Math.round(median(c.cpu)) : null,
      checks: c.checks,
    };
  });
}

/** The goals of performance round two (issue 15), each with its value and whether it is met. */
function summarize(cells: Cell[], status: StatusCell[] = []): Summary {
  const at = (variant: Variant, size: number) => cells.find((c) => c.variant === variant && c.size === size);
  const ratio = (x: number | undefined | null, y: number | undefined | null) => (x != null && y ? Math.round((x / y) * 100) / 100 : null);
  const sizes = [...new Set(cells.map((c) => c.size))];
  const goals: Summary['goals'] = [];
  const goal = (text: string, value: number | null, met: (v: number) => boolean) => {
    if (value !== null) goals.push({ goal: text, value, met: met(value) });
  };
  const rps = (variant: Variant, size: number) => at(variant, size)?.recipientsPerSec;
  const b2Floor: Record<number, number> = { 1: 0.6, 100: 0.5, 1000: 0.4 };
  for (const size of sizes) {
    goal(`1. recipients/s (d) ÷ (b) at ${size} ≥ 1.0`, ratio(rps('d-lean', size), rps('b-ky-forwarder', size)), (v) => v >= 1);
    if (b2Floor[size] !== undefined) {
      goal(
        `1. recipients/s (d) ÷ (b2) at ${size} ≥ ${b2Floor[size]}`,
        ratio(rps('d-lean', size), rps('b2-ky-undici-forwarder', size)),
        (v) => v >= b2Floor[size],
      );
    }
    goal(`2. recipients/s (e) ÷ (d) at ${size} ≥ 0.95`, ratio(rps('e-guarded', size), rps('d-lean', size)), (v) => v >= 0.95);
    goal(`2. recipients/s (e, Redis) ÷ (d) at ${size} ≥ 0.95`, ratio(rps('e-guarded-redis', size), rps('d-lean', size)), (v) => v >= 0.95);
  }
  for (const [guarded, label] of [
    ['e-guarded', '(e)'],
    ['e-guarded-redis', '(e, Redis)'],
  ] as const) {
    const d1000 = at('d-lean', 1000)?.cpuMicrosPerRequest;
    const e1000 = at(guarded, 1000)?.cpuMicrosPerRequest;
    if (d1000 != null && e1000 != null) {
      goal(`2. guard CPU ${label} − (d) per recipient at 1000 ≤ 0.3 µs`, Math.round(((e1000 - d1000) / 1000) * 100) / 100, (v) => v <= 0.3);
    }
    const d1 = at('d-lean', 1)?.cpuMicrosPerRequest;
    const e1 = at(guarded, 1)?.cpuMicrosPerRequest;
    if (d1 != null && e1 != null) goal(`2. guard CPU ${label} − (d) per request at 1 ≤ 20 µs`, e1 - d1, (v) => v <= 20);
  }
  goal('3. p99 (d) ÷ (b) at 1000 ≤ 1.5', ratio(at('d-lean', 1000)?.p99Ms, at('b-ky-forwarder', 1000)?.p99Ms), (v) => v <= 1.5);
  // GraphQL Mesh, the peer: the better of its two settings (with and without --jit) at each size.
  for (const size of sizes) {
    const mesh = Math.max(rps('f-mesh', size) ?? 0, rps('f-mesh-jit', size) ?? 0) || null;
    goal(`4. recipients/s (d) ÷ Mesh (better of f, f-jit) at ${size} ≥ 2`, ratio(rps('d-lean', size), mesh), (v) => v >= 2);
    goal(`4. recipients/s (e) ÷ Mesh (better of f, f-jit) at ${size} ≥ 2`, ratio(rps('e-guarded', size), mesh), (v) => v >= 2);
  }
  const rssD = at('d-lean', sizes[0])?.peakRssMb;
  const rssB = at('b-ky-forwarder', sizes[0])?.peakRssMb;
  if (rssD != null && rssB != null) goal(`5. peak RSS (d) ≤ (b) + 60 MB (${rssB + 60} MB)`, rssD, (v) => v <= rssB + 60);

  const context: Summary['context'] = [];
  // The highly available topologies beside one Redis node, and WAIT's own cost.
  for (const [variant, label] of [
    ['e-guarded-sentinel', 'Sentinel'],
    ['e-guarded-sentinel-nowait', 'Sentinel without WAIT'],
    ['e-guarded-cluster', 'Cluster'],
    ['e-guarded-cluster-nowait', 'Cluster without WAIT'],
  ] as const) {
    for (const size of sizes) {
      const cell = at(variant, size);
      const single = at('e-guarded-redis', size);
      if (!cell || !single) continue;
      context.push({
        what: `7. recipients/s (e, ${label}) ÷ (e, Redis) at ${size}`,
        value: ratio(cell.recipientsPerSec, single.recipientsPerSec),
      });
      if (cell.cpuMicrosPerRequest != null && single.cpuMicrosPerRequest != null) {
        context.push({
          what: `7. CPU µs a request (e, ${label}) − (e, Redis) at ${size}`,
          value: cell.cpuMicrosPerRequest - single.cpuMicrosPerRequest,
        });
      }
    }
  }
  const statusOf = (variant: Variant) => status.find((c) => c.variant === variant)?.queriesPerSec;
  for (const [variant, label] of [
    ['d-lean', '(d)'],
    ['e-guarded', '(e)'],
  ] as const) {
    const value = ratio(statusOf(variant), statusOf('b-ky-forwarder'));
    if (value !== null) context.push({ what: `6. delivery status, 100 sessions a query: queries/s ${label} ÷ (b)`, value });
  }
  return { goals, context, allChecksPassed: [...cells, ...status].every((c) => c.checks.length === 0) };
}

if (require.main === module) {
  const list = (name: string, fallback: string) =>
    (process.env[name] ?? fallback)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const redisUrl = process.env.BENCH_REDIS_URL;
  const variants = list(
    'BENCH_VARIANTS',
    'a-direct,b-ky-forwarder,b2-ky-undici-forwarder,c-undici-forwarder,d-lean,e-guarded,f-mesh,f-mesh-jit',
  ) as Variant[];
  if (redisUrl && !variants.includes('e-guarded-redis')) variants.push('e-guarded-redis');
  const topologies = process.env.BENCH_REDIS_TOPOLOGIES === '1' ? startTopologies() : Promise.resolve(null);
  topologies
    .then(async (started) => {
      try {
        return await runBench({
          durationSeconds: Number(process.env.BENCH_SECONDS ?? 10),
          warmupSeconds: Number(process.env.BENCH_WARMUP_SECONDS ?? 3),
          repeats: Number(process.env.BENCH_REPEATS ?? 3),
          sizes: list('BENCH_SIZES', started ? '1,1000' : '1,100,1000').map(Number),
          variants: started ? TOPOLOGY_VARIANTS : variants,
          connections: Number(process.env.BENCH_CONNECTIONS ?? 16),
          outDir: process.env.BENCH_OUT ?? join(root, 'bench/results'),
          redisUrl: started?.single ?? redisUrl,
          redisSentinel: started?.sentinel,
          redisCluster: started?.cluster,
          serverNodeFlags: [...startFlags(), ...(process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean)],
        });
      } finally {
        await started?.stop();
      }
    })
    .then(
      (results) => {
        for (const goal of results.summary.goals) process.stdout.write(`${goal.met ? 'met ' : 'MISS'}  ${goal.goal}: ${goal.value}\n`);
        for (const line of results.summary.context) process.stdout.write(`      ${line.what}: ${line.value}\n`);
        process.exit(results.summary.allChecksPassed ? 0 : 1);
      },
      (error: unknown) => {
        process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
        process.exit(1);
      },
    );
}

/** `npm run bench:redis`: the guarded send on one Redis node, Sentinel and Cluster, each with and without WAIT. */
const TOPOLOGY_VARIANTS: Variant[] = [
  'd-lean',
  'e-guarded-redis',
  'e-guarded-sentinel',
  'e-guarded-sentinel-nowait',
  'e-guarded-cluster',
  'e-guarded-cluster-nowait',
];

// The same real processes the failover tests start: a node, a primary with a replica and three
// sentinels, and three primaries with a replica each.
async function startTopologies() {
  const [single, sentinel, cluster] = await Promise.all([RedisServer.start(), RedisSentinelSet.start(), RedisClusterSet.start()]);
  return {
    single: single.url,
    sentinel: sentinel.env,
    cluster: cluster.env,
    stop: () => Promise.all([single.stop(), sentinel.stop(), cluster.stop()]).then(() => undefined),
  };
}
