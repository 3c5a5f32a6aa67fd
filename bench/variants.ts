// The variants a bench run compares: how each starts, the body it is sent, and the checks that it
// answered as it should.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { USPEEDO_PATHS } from '../src/uspeedo/uspeedo.types';
import { freePort, launch, once, pinned, root, tsx, waitFor } from './processes';
import { SEED_SESSIONS } from './seed-sessions';

export const API_KEY = 'usk_bench-key-0123456789abcdefghijklmnopqrstuvwxyz';
export const STATUS_QUERY =
  'query Status($sessionNos: [String!]!) { smsDeliveryStatus(sessionNos: $sessionNos) { __typename ... on SmsDeliveryStatus { sessions { sessionNo known receipts { phone status } } } ... on SmsQueryError { code message } } }';
/** The variants the delivery-status cell runs: this server lean and guarded, and the hand-written ky lookup. */
export const STATUS_VARIANTS: readonly Variant[] = ['b-ky-forwarder', 'd-lean', 'e-guarded'];
/** The preview a sending screen would ask for: every message and the totals. */
const PREVIEW_QUERY =
  'query Preview($input: SendBatchSmsInput!) { smsSendPreview(input: $input) { __typename ... on SmsSendPreview { recipients segments messages { path phone countryCode text encoding characters segments } countries { countryCode recipients segments } } ... on SendBatchSmsError { code message } } }';
export const QUERY =
  'mutation Send($input: SendBatchSmsInput!) { sendBatchSms(input: $input) { __typename ... on SendBatchSmsSuccess { sessionNos failedTargetPhones { phone failureReason } } ... on SendBatchSmsError { code message } } }';

export type Variant =
  | 'a-direct'
  | 'b-ky-forwarder'
  | 'b2-ky-undici-forwarder'
  | 'c-undici-forwarder'
  | 'd-lean'
  | 'd-lean-preview'
  | 'd-lean-traced'
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
  /** Subscriptions the subscription cell opens (BENCH_SUBSCRIPTIONS, at most 1000); 0 leaves the cell out. */
  subscriptions?: number;
  /** Pages of 1000 the campaign cell adds and sends on each store (BENCH_CAMPAIGN_PAGES, at most 100); 0 leaves the cell out. */
  campaignPages?: number;
  /** How long the campaign cell lets the server settle before it reads its memory (BENCH_SETTLE_SECONDS, default 30). */
  settleSeconds?: number;
  log?: (line: string) => void;
}

export const isMesh = (variant: Variant): variant is 'f-mesh' | 'f-mesh-jit' => variant === 'f-mesh' || variant === 'f-mesh-jit';
const MESH_DIR = join(root, 'bench/mesh');
const MESH_QUERY =
  'mutation Send($input: SendBatchRequest_Input) { sendBatchUSMSMessage(input: $input) { RetCode Message SessionNo FailedTargetPhones { Phone FailureReason } } }';

/** Installs the Mesh peer (bench/mesh, its own lockfile) on first use, and composes its supergraph. */
export function prepareMesh(stateDir: string): string {
  const bin = (name: string) => join(MESH_DIR, 'node_modules/.bin', name);
  if (!existsSync(bin('hive-gateway'))) execFileSync('npm', ['ci', '--silent', '--prefix', MESH_DIR], { cwd: MESH_DIR, stdio: 'inherit' });
  const supergraph = join(stateDir, 'supergraph.graphql');
  if (!existsSync(supergraph)) execFileSync(bin('mesh-compose'), ['-o', supergraph], { cwd: MESH_DIR, stdio: 'ignore' });
  return supergraph;
}

/** A variant that asks for a preview of the batch, which sends nothing. */
export const isPreview = (variant: Variant): variant is 'd-lean-preview' => variant === 'd-lean-preview';

export const isForwarder = (variant: Variant): variant is 'b-ky-forwarder' | 'b2-ky-undici-forwarder' | 'c-undici-forwarder' =>
  variant === 'b-ky-forwarder' || variant === 'b2-ky-undici-forwarder' || variant === 'c-undici-forwarder';

export function targets(size: number) {
  return Array.from({ length: size }, (_, i) => ({ phone: `1380013${String(i).padStart(4, '0')}`, templateParams: ['123456'] }));
}
export function bodyFor(variant: Variant, size: number): string {
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
  if (isPreview(variant)) return JSON.stringify({ query: PREVIEW_QUERY, variables: { input } });
  return JSON.stringify({ query: QUERY, variables: { input } });
}

export interface Running {
  variant: Variant;
  url: string;
  pid: number | null;
  child: ChildProcess | null;
}

/** Starts one variant and waits until it answers. */
async function startVariant(
  variant: Variant,
  fakeUrl: string,
  options: BenchOptions,
  stateDir: string,
  started: ChildProcess[],
): Promise<Running> {
  if (variant === 'a-direct') return { variant, url: `${fakeUrl}/${USPEEDO_PATHS.sendBatch}`, pid: null, child: null };
  const port = await freePort();
  const { child, url, ready } = isMesh(variant)
    ? startMesh(variant, port, fakeUrl, stateDir)
    : isForwarder(variant)
      ? startForwarder(variant, port, fakeUrl)
      : startServer(variant, port, fakeUrl, options, stateDir);
  started.push(child);
  await waitFor(ready);
  return { variant, url, pid: child.pid!, child };
}

/** A started process, where it answers, and the URL that answers once it is ready. */
interface Launched {
  child: ChildProcess;
  url: string;
  ready: string;
}

/** GraphQL Mesh's gateway over uSpeedo's OpenAPI description, with or without its JIT. */
function startMesh(variant: 'f-mesh' | 'f-mesh-jit', port: number, fakeUrl: string, stateDir: string): Launched {
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
  const child = spawn(command, full, {
    cwd: MESH_DIR,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', USPEEDO_BASE_URL: fakeUrl, USPEEDO_BASIC: basic },
    stdio: 'ignore',
  });
  return { child, url: `http://127.0.0.1:${port}/graphql`, ready: `http://127.0.0.1:${port}/healthcheck` };
}

/** A hand-written forwarder (bench/forwarder.ts) on one of its clients. */
function startForwarder(
  variant: 'b-ky-forwarder' | 'b2-ky-undici-forwarder' | 'c-undici-forwarder',
  port: number,
  fakeUrl: string,
): Launched {
  const client = { 'b-ky-forwarder': 'ky', 'b2-ky-undici-forwarder': 'ky-undici', 'c-undici-forwarder': 'undici' }[variant];
  const child = launch('0', ['--require', tsx, 'bench/forwarder.ts', client], {
    PORT: String(port),
    HOST: '127.0.0.1',
    USPEEDO_BASE_URL: fakeUrl,
  });
  const url = `http://127.0.0.1:${port}/`;
  return { child, url, ready: url };
}

const HIGH = '1000000000';
/** The guarded server's caller and limits: an API key, and every limit on but too high to trip. */
export const GUARDED_CALLER: Readonly<Record<string, string>> = {
  API_KEYS: `bench:${createHash('sha256').update(API_KEY).digest('hex')}`,
  RATE_LIMIT_CALLER_PER_MINUTE: HIGH,
  RATE_LIMIT_CALLER_PER_DAY: HIGH,
  RATE_LIMIT_PHONE_PER_HOUR: HIGH,
  RATE_LIMIT_PHONE_PER_DAY: HIGH,
  RATE_LIMIT_GLOBAL_PER_DAY: HIGH,
  RATE_LIMIT_STATUS_PER_MINUTE: HIGH,
  RATE_LIMIT_TEMPLATES_PER_MINUTE: HIGH,
};

/** This server as `npm start` runs it: lean (no callers, no limits) or guarded (an API key, limits, the state store). */
function startServer(variant: Variant, port: number, fakeUrl: string, options: BenchOptions, stateDir: string): Launched {
  const server = {
    PORT: String(port),
    HOST: '127.0.0.1',
    USPEEDO_BASE_URL: fakeUrl,
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
  const guarded = {
    ...GUARDED_CALLER,
    STATE_DB_PATH: join(stateDir, `${variant}.db`),
    ...redisVariables(variant, options),
  };
  // Every request traced (the default parent-based sampler, no caller's trace: always on), exported
  // over OTLP/HTTP protobuf to the fake, which takes it as a collector would. Under load a batch of
  // 512 spans goes out every few milliseconds whatever the delay; 1 s (not 5) only makes sure a slow
  // smoke run has exported before its check.
  const traced: Record<string, string> =
    variant === 'd-lean-traced' ? { OTEL_EXPORTER_OTLP_ENDPOINT: fakeUrl, OTEL_BSP_SCHEDULE_DELAY: '1000' } : {};
  const child = launch('0', [...options.serverNodeFlags, 'dist/main.js'], {
    ...server,
    ...(variant.startsWith('d-lean') ? lean : guarded),
    ...traced,
  });
  return { child, url: `http://127.0.0.1:${port}/graphql`, ready: `http://127.0.0.1:${port}/healthz` };
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

export async function startOrKill(
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

// The status cell's request: the 100 seeded sessions, as a GraphQL query or to the forwarder's /status.
export const statusUrl = (running: Running) => (isForwarder(running.variant) ? running.url.replace(/\/$/, '/status') : running.url);
export const statusBody = (variant: Variant) =>
  isForwarder(variant)
    ? JSON.stringify({ sessionNos: SEED_SESSIONS })
    : JSON.stringify({ query: STATUS_QUERY, variables: { sessionNos: SEED_SESSIONS } });

/** Sends the batch whose answer names the 100 sessions, so this server knows them as the caller's. */
export async function seedSessions(running: Running): Promise<boolean> {
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

export async function sanity(running: Running, body: string): Promise<boolean> {
  const { status, text } = await once(running.url, { method: 'POST', headers: headersFor(running.variant), body });
  if (status !== 200) return false;
  if (running.variant === 'a-direct') return JSON.parse(text).RetCode === 0;
  if (isForwarder(running.variant)) return JSON.parse(text).ok === true;
  if (isMesh(running.variant)) return JSON.parse(text).data?.sendBatchUSMSMessage?.RetCode === 0;
  if (isPreview(running.variant)) return JSON.parse(text).data?.smsSendPreview?.segments > 0;
  return JSON.parse(text).data?.sendBatchSms?.__typename === 'SendBatchSmsSuccess';
}

export function headersFor(variant: Variant): Record<string, string> {
  return { 'content-type': 'application/json', ...(variant.startsWith('e-') ? { authorization: `Bearer ${API_KEY}` } : {}) };
}
