// `npm run bench`: every variant against one fake uSpeedo, the load from autocannon in its own process,
// interleaved repeats, medians, ratios. Writes results/latest.{json,md,svg}. See bench/README.md.
// This file is the run and its command line; the parts are variants.ts, processes.ts, measure.ts and summary.ts.
import 'reflect-metadata';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from '../test/support/redis-server';
import { RedisClusterSet, RedisSentinelSet } from '../test/support/redis-topologies';
import { autocannon, counts, measure, median, samples, type Samples } from './measure';
import { freePort, launch, MULTICORE, peakRssMb, root, startFlags, tsx, waitFor } from './processes';
import { renderResults, type BenchResults, type Cell, type StatusCell } from './render';
import { SEED_SESSIONS } from './seed-sessions';
import { campaignCell, type CampaignCell } from './campaign-cell';
import { subscriptionCell } from './subscription-cell';
import { summarize } from './summary';
import {
  bodyFor,
  sanity,
  seedSessions,
  startOrKill,
  statusBody,
  statusUrl,
  STATUS_VARIANTS,
  type BenchOptions,
  type Running,
  type Variant,
} from './variants';

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
  try {
    for (const variant of options.variants) running.push(await startOrKill(variant, fakeUrl, options, stateDir, started));
    const bodies = await prepareBodies(running, options, stateDir);
    const cells = await sendCells(running, bodies, fakeUrl, options, log);
    const status = await statusCells(running, fakeUrl, options, stateDir, log);
    const subscriptions = options.subscriptions ? await subscriptionCell(options.subscriptions, fakeUrl, options, stateDir) : null;
    if (subscriptions) {
      log(
        `subscriptions/${subscriptions.subscriptions}: ${subscriptions.getsPerPoll} GETs a poll, ${subscriptions.rssKbPerSubscription} KB each, last event ${subscriptions.pollToLastEventMs} ms after the poll`,
      );
    }
    const campaigns: CampaignCell[] = [];
    if (options.campaignPages) {
      const stores: { name: string; env: Record<string, string> }[] = [
        { name: 'sqlite', env: {} },
        ...(options.redisUrl ? [{ name: 'redis', env: { REDIS_URL: ownDatabase(options.redisUrl), REDIS_ALLOW_VOLATILE: 'true' } }] : []),
      ];
      for (const store of stores) {
        const cell = await campaignCell(fakeUrl, options, stateDir, store, options.campaignPages, options.settleSeconds ?? 30);
        campaigns.push(cell);
        log(
          `campaign/${store.name}: add ${cell.addToPreview} × a preview, send ${cell.sendToGuardedSend} × a guarded send, RSS ${cell.idleRssMb} → ${cell.settledRssMb} MB, heap ${cell.idleHeapMb} → ${cell.settledHeapMb} MB`,
        );
      }
    }
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
      subscriptions,
      campaigns,
      summary: summarize(cells, status, subscriptions, campaigns),
    };
    await writeResults(results, options.outDir);
    return results;
  } finally {
    for (const child of started) child.kill('SIGTERM');
    fake.kill('SIGTERM');
  }
}

/**
 * The Redis the campaign cell uses, in a database of its own: the guarded Redis variant's server is
 * still running, and its runner would share the cell's campaign (and its pace) as a second instance.
 */
function ownDatabase(redisUrl: string): string {
  const url = new URL(redisUrl);
  url.pathname = '/15';
  return url.toString();
}

/** Each variant's batch of each size, written to a file autocannon sends, checked to succeed once, then warmed up. */
async function prepareBodies(running: Running[], options: BenchOptions, stateDir: string): Promise<Map<string, string>> {
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
  return bodies;
}

/** The send cells: every variant at every size, repeats interleaved, as medians. */
async function sendCells(
  running: Running[],
  bodies: Map<string, string>,
  fakeUrl: string,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<Cell[]> {
  const runs = new Map<string, Samples>();
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
  // The traced variant must have exported, or its cells measured tracing that was not on.
  const tracedChecks =
    running.some((r) => r.variant === 'd-lean-traced') && (await counts(fakeUrl)).traceExports === 0 ? ['no trace was exported'] : [];
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
        checks: r.variant === 'd-lean-traced' ? [...c.checks, ...tracedChecks] : c.checks,
      });
    }
  }
  return cells;
}

/** results/latest.json, .md and .svg. */
async function writeResults(results: BenchResults, outDir: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const rendered = await renderResults(results);
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outDir, 'latest.md'), rendered.markdown);
  writeFileSync(join(outDir, 'latest.svg'), rendered.svg);
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

if (require.main === module) {
  const list = (name: string, fallback: string) =>
    (process.env[name] ?? fallback)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const redisUrl = process.env.BENCH_REDIS_URL;
  const variants = list(
    'BENCH_VARIANTS',
    'a-direct,b-ky-forwarder,b2-ky-undici-forwarder,c-undici-forwarder,d-lean,d-lean-preview,d-lean-traced,e-guarded,f-mesh,f-mesh-jit',
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
          subscriptions: started ? 0 : Math.min(1000, Number(process.env.BENCH_SUBSCRIPTIONS ?? 1000)),
          campaignPages: started ? 0 : Math.min(100, Number(process.env.BENCH_CAMPAIGN_PAGES ?? 100)),
          settleSeconds: Number(process.env.BENCH_SETTLE_SECONDS ?? 30),
        });
      } finally {
        await started?.stop();
      }
    })
    .then(
      (results) => {
        for (const goal of results.summary.goals) process.stdout.write(`${goal.met ? 'met ' : 'MISS'}  ${goal.goal}: ${goal.value}\n`);
        for (const line of results.summary.context) process.stdout.write(`      ${line.what}: ${line.value}\n`);
        // On stderr, so that a caller that keeps only stderr (the smoke test's error) says which check failed.
        const cells = [
          ...results.cells,
          ...(results.status ?? []),
          ...(results.subscriptions ? [{ variant: 'subscriptions', ...results.subscriptions }] : []),
          ...(results.campaigns ?? []).map((cell) => ({ variant: `campaign-${cell.store}`, ...cell })),
        ];
        for (const cell of cells) {
          for (const check of cell.checks) {
            process.stderr.write(`check failed: ${cell.variant}${'size' in cell ? ` at ${String(cell.size)}` : ''}: ${check}\n`);
          }
        }
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
