// The bench's verdict: the goals of performance round two, each with its value and whether it is met,
// and the ratios that give them context.
import type { CampaignCell } from './campaign-cell';
import type { Cell, StatusCell, Summary } from './render';
import type { SubscriptionCell } from './subscription-cell';
import type { Variant } from './variants';

/** The goals of performance round two (issue 15), each with its value and whether it is met. */
export function summarize(
  cells: Cell[],
  status: StatusCell[] = [],
  subscriptions: SubscriptionCell | null = null,
  campaigns: CampaignCell[] = [],
): Summary {
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
  // Tracing on, every request sampled and exported, against (d) with tracing off.
  const tracedFloor: Record<number, number> = { 1: 1.15, 1000: 1.1 };
  for (const size of sizes) {
    if (tracedFloor[size] === undefined) continue;
    goal(
      `6. CPU a request (d, traced) ÷ (d) at ${size} ≤ ${tracedFloor[size]}`,
      ratio(at('d-lean-traced', size)?.cpuMicrosPerRequest, at('d-lean', size)?.cpuMicrosPerRequest),
      (v) => v <= tracedFloor[size],
    );
  }
  const rssD = at('d-lean', sizes[0])?.peakRssMb;
  const rssB = at('b-ky-forwarder', sizes[0])?.peakRssMb;
  if (rssD != null && rssB != null) goal(`5. peak RSS (d) ≤ (b) + 60 MB (${rssB + 60} MB)`, rssD, (v) => v <= rssB + 60);

  // Campaigns (issue 31): a page added against a preview of the same size, a page sent against a guarded send, the memory left.
  for (const cell of campaigns) {
    goal(`9. CPU to add a page of 1000 ÷ a preview of 1000 (${cell.store}) ≤ 1.5`, cell.addToPreview, (v) => v <= 1.5);
    goal(`9. CPU to send a page of 1000 ÷ a guarded send of 1000 (${cell.store}) ≤ 1.2`, cell.sendToGuardedSend, (v) => v <= 1.2);
    goal(
      `9. RSS after ${cell.pages} pages of 1000 added and sent, settled, over idle (${cell.store}) < 64 MB`,
      cell.settledRssMb - cell.idleRssMb,
      (v) => v < 64,
    );
  }

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
  for (const size of sizes) {
    const value = ratio(at('d-lean-preview', size)?.cpuMicrosPerRequest, at('d-lean', size)?.cpuMicrosPerRequest);
    if (value !== null) context.push({ what: `7. a preview's CPU a request ÷ (d)'s send, at ${size}`, value });
  }
  if (subscriptions) {
    context.push({
      what: `8. ${subscriptions.subscriptions} subscriptions, one session each: GETs at uSpeedo a poll`,
      value: subscriptions.getsPerPoll,
    });
  }
  const checked = [...cells, ...status, ...(subscriptions ? [subscriptions] : []), ...campaigns];
  return { goals, context, allChecksPassed: checked.every((c) => c.checks.length === 0) };
}
