// Turns benchmark results into a Markdown table and an SVG chart (vega-lite compiled, rendered by vega).
import type { TopLevelSpec } from 'vega-lite';
import type { CampaignCell } from './campaign-cell';
import type { SubscriptionCell } from './subscription-cell';

/** One variant at one batch size: medians of the repeats. */
export interface Cell {
  variant: string;
  size: number;
  reqPerSec: number;
  recipientsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuMicrosPerRequest: number | null;
  cpuMicrosPerRecipient: number | null;
  peakRssMb: number | null;
  /** Empty when every repeat had no non-2xx, no error, and the fake's count matched the answers. */
  checks: string[];
}

/** The delivery-status cell of one variant: 100 known sessions a query. */
export interface StatusCell {
  variant: string;
  sessions: number;
  queriesPerSec: number;
  p99Ms: number;
  cpuMicrosPerQuery: number | null;
  checks: string[];
}

export interface Summary {
  goals: { goal: string; value: number | null; met: boolean }[];
  /** Ratios beside the goals, for context: none of them is a goal. */
  context: { what: string; value: number | null }[];
  allChecksPassed: boolean;
}

export interface BenchResults {
  date: string;
  machine: { cpus: number; model: string; node: string; pinned: boolean };
  options: {
    durationSeconds: number;
    warmupSeconds: number;
    repeats: number;
    connections: number;
    sizes: number[];
    serverNodeFlags: string[];
  };
  cells: Cell[];
  /** The delivery-status cell, beside the send. */
  status?: StatusCell[];
  /** The subscription cell (BENCH_SUBSCRIPTIONS open at once). */
  subscriptions?: SubscriptionCell | null;
  /** The campaign cell, on each store. */
  campaigns?: CampaignCell[];
  summary: Summary;
}

export async function renderResults(results: BenchResults): Promise<{ markdown: string; svg: string }> {
  const rows = results.cells.map(
    (c) =>
      `| ${c.variant} | ${c.size} | ${c.reqPerSec} | ${c.recipientsPerSec} | ${c.p50Ms} | ${c.p99Ms} | ${c.cpuMicrosPerRequest ?? '–'} | ${c.cpuMicrosPerRecipient ?? '–'} | ${c.peakRssMb ?? '–'} | ${c.checks.length ? c.checks.join('; ') : 'ok'} |`,
  );
  const goals = results.summary.goals.map((g) => `| ${g.goal} | ${g.value ?? '–'} | ${g.met ? 'met' : '**missed**'} |`);
  const status = (results.status ?? []).map(
    (c) =>
      `| ${c.variant} | ${c.queriesPerSec} | ${c.p99Ms} | ${c.cpuMicrosPerQuery ?? '–'} | ${c.checks.length ? c.checks.join('; ') : 'ok'} |`,
  );
  const context = results.summary.context.map((c) => `| ${c.what} | ${c.value ?? '–'} |`);
  const follow = results.subscriptions;
  const { options: o, machine: m } = results;
  const markdown = [
    `Run ${results.date} on ${m.cpus} × ${m.model}, Node ${m.node}${m.pinned ? ', server pinned to core 0, load and fake on core 1' : ''}.`,
    `${o.connections} connections, ${o.durationSeconds} s per cell after a ${o.warmupSeconds} s warm-up, medians of ${o.repeats} interleaved repeats.${o.serverNodeFlags.length ? ` Server started with \`node ${o.serverNodeFlags.join(' ')}\`.` : ''}`,
    '',
    '| variant | targets | req/s | recipients/s | p50 ms | p99 ms | server CPU µs/req | µs/recipient | peak RSS MB | checks |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '| goal | value | |',
    '|---|---|---|',
    ...goals,
    '',
    ...(status.length
      ? [
          '| delivery status (100 known sessions a query) | queries/s | p99 ms | server CPU µs/query | checks |',
          '|---|---|---|---|---|',
          ...status,
          '',
        ]
      : []),
    ...(follow
      ? [
          '| smsDeliveryUpdates, one session each | GETs a poll | server RSS KB a subscription | change → last event ms | poll → last event ms | checks |',
          '|---|---|---|---|---|---|',
          `| ${follow.subscriptions} subscriptions | ${follow.getsPerPoll} | ${follow.rssKbPerSubscription} | ${follow.changeToLastEventMs} | ${follow.pollToLastEventMs} | ${follow.checks.length ? follow.checks.join('; ') : 'ok'} |`,
          '',
        ]
      : []),
    ...(results.campaigns?.length
      ? [
          '| campaign, pages of 1000 | pages | preview ms CPU | add a page ms CPU | add ÷ preview | guarded send ms CPU | send a page ms CPU | send ÷ guarded | RSS idle → settled MB | start → DONE s | checks |',
          '|---|---|---|---|---|---|---|---|---|---|---|',
          ...results.campaigns.map(
            (c) =>
              `| ${c.store} | ${c.pages} | ${c.previewCpuMs} | ${c.addPageCpuMs} | ${c.addToPreview} | ${c.guardedSendCpuMs} | ${c.sendPageCpuMs} | ${c.sendToGuardedSend} | ${c.idleRssMb} → ${c.settledRssMb} | ${c.sendSeconds} | ${c.checks.length ? c.checks.join('; ') : 'ok'} |`,
          ),
          '',
        ]
      : []),
    ...(context.length ? ['| for context (not goals) | value |', '|---|---|', ...context, ''] : []),
  ].join('\n');

  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: results.cells },
    hconcat: [
      {
        title: 'Recipients per second',
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'size', type: 'ordinal', title: 'targets per batch' },
          y: { field: 'recipientsPerSec', type: 'quantitative', scale: { type: 'log' }, title: 'recipients/s (log)' },
          color: { field: 'variant', type: 'nominal' },
        },
        width: 300,
        height: 240,
      },
      {
        title: 'p99 latency',
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'size', type: 'ordinal', title: 'targets per batch' },
          y: { field: 'p99Ms', type: 'quantitative', title: 'p99 (ms)' },
          color: { field: 'variant', type: 'nominal' },
        },
        width: 300,
        height: 240,
      },
    ],
  };
  // vega's node build uses top-level await, so it cannot be require()d: it is imported as ESM.
  const { parse, View } = await import('vega');
  const { compile } = await import('vega-lite');
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return { markdown, svg };
}
