import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FakeUspeedo, FakeReply, RecordedCall } from './fake-uspeedo';
import { SEND_BATCH_SMS } from './server';

// The mix: the fake decides its answer from the templateId's prefix; every request carries its own
// templateId (and phones), so each answer can be matched with what uSpeedo received.
const MODES = ['ok', 'partial', 'retcode', 'reset', 'slow', 'invalid', 'hot', 'repeat'] as const;
type Mode = (typeof MODES)[number];

/** A fake uSpeedo answering by templateId prefix, keeping a log of the batches it accepted. */
export function loadFake(slowMs: number): (call: RecordedCall) => FakeReply {
  return (call) => {
    const task = (JSON.parse(call.body.toString()) as { TaskContent: { TemplateId: string; Target: { Phone: string }[] }[] })
      .TaskContent[0];
    const mode = task.TemplateId.split('-')[0] as Mode;
    if (mode === 'retcode') return { body: { RetCode: 215400, Message: 'server error' } };
    if (mode === 'reset') return { fault: 'reset' };
    if (mode === 'slow') return { delayMs: slowMs };
    const failed = mode === 'partial' ? task.Target.filter((t) => t.Phone.endsWith('00')) : [];
    return {
      body: {
        RetCode: 0,
        Message: 'success',
        SessionNo: [`s-${task.TemplateId}`],
        FailedTargetPhones: failed.map((t) => ({ Phone: t.Phone, TemplateParams: [], FailureReason: 'black list' })),
      },
    };
  };
}

/** What one request asked and what it got back (or that it got no answer). */
interface Exchange {
  templateId: string;
  mode: Mode;
  phones: string[];
  status: number | null;
  result?: { __typename: string; code?: string; retryable?: boolean; failedTargetPhones?: { phone: string }[] };
}

export interface LoadReport {
  requests: number;
  answered: number;
  noAnswer: number;
  byResult: Record<string, number>;
  upstreamCalls: number;
  violations: string[];
  rssMb: { first: number; last: number; peak: number };
  eventLoopDelayMs: { p50: number; p99: number; max: number; firstThirdP99: number; lastThirdP99: number };
  unhandledRejections: number;
}

export interface LoadOptions {
  url: string;
  upstream: FakeUspeedo;
  durationMs: number;
  concurrency: number;
  headers?: Record<string, string>;
  /** Called once, half way through (e.g. to send SIGTERM). */
  midway?: () => void;
}

const NOTHING_SENT = new Set([
  'INVALID_INPUT',
  'RATE_LIMITED',
  'DESTINATION_NOT_ALLOWED',
  'IDEMPOTENCY_CONFLICT',
  'IDEMPOTENCY_IN_PROGRESS',
  'SERVICE_UNAVAILABLE',
]);
// Mainland numbers, unique per request: 139 + 8 digits from the request number and the row.
const phoneOf = (request: number, row: number) => `139${String(request % 100000).padStart(5, '0')}${String(row).padStart(3, '0')}`;
const HOT_PHONE = '13700137000';

/**
 * Runs `concurrency` callers for `durationMs`, then checks every answer against what the fake
 * uSpeedo received: sent recipients reached it exactly once, "nothing sent" left no trace, no batch
 * reached it twice, and no answer was a 5xx.
 */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const { url, upstream, durationMs, concurrency } = options;
  const exchanges: Exchange[] = [];
  let unhandled = 0;
  const onUnhandled = () => unhandled++;
  process.on('unhandledRejection', onUnhandled);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const rss: number[] = [];
  const loopP99: number[] = [];
  const window = monitorEventLoopDelay({ resolution: 10 });
  window.enable();
  let ticks = 0;
  const sampler = setInterval(() => {
    rss.push(process.memoryUsage().rss / 2 ** 20);
    // The event-loop delay per half second, to see a trend rather than one number for the whole run.
    if (++ticks % 5 === 0) {
      loopP99.push(window.percentile(99) / 1e6);
      window.reset();
    }
  }, 100);

  let next = 0;
  const repeats: { key: string; variables: unknown; templateId: string; phones: string[] }[] = [];
  const end = Date.now() + durationMs;
  const midwayAt = Date.now() + durationMs / 2;
  let midwayDone = false;

  async function worker(): Promise<void> {
    while (Date.now() < end) {
      if (!midwayDone && options.midway && Date.now() >= midwayAt) {
        midwayDone = true;
        options.midway();
      }
      const n = next++;
      const mode = MODES[n % MODES.length];
      let templateId = `${mode}-${n}`;
      let phones = Array.from({ length: 1 + (n % 7) }, (_, row) => phoneOf(n, row * 50));
      if (mode === 'invalid') phones = [...phones, '12345'];
      if (mode === 'hot') phones = [HOT_PHONE];
      let variables: unknown = {
        input: { taskContent: [{ templateId, senderId: 'LOAD', target: phones.map((phone) => ({ phone })) }], idempotencyKey: `key-${n}` },
      };
      if (mode === 'repeat' && repeats.length > 0) {
        const earlier = repeats[n % repeats.length];
        ({ variables, templateId, phones } = earlier);
      } else if (mode === 'repeat') {
        templateId = `ok-${n}`;
        (variables as { input: { taskContent: { templateId: string }[] } }).input.taskContent[0].templateId = templateId;
      }
      if (mode === 'ok') repeats.push({ key: `key-${n}`, variables, templateId, phones });

      const exchange: Exchange = { templateId, mode, phones, status: null };
      exchanges.push(exchange);
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...options.headers },
          body: JSON.stringify({ query: SEND_BATCH_SMS, variables }),
        });
        exchange.status = response.status;
        const body = (await response.json()) as { data?: { sendBatchSms: Exchange['result'] } };
        exchange.result = body.data?.sendBatchSms;
      } catch {
        // No answer (the server went away): the request may or may not have reached uSpeedo.
        exchange.status = null;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));

  clearInterval(sampler);
  delay.disable();
  window.disable();
  process.off('unhandledRejection', onUnhandled);
  const violations = check(exchanges, upstream.calls);
  const byResult: Record<string, number> = {};
  for (const e of exchanges) {
    const key = e.result
      ? e.result.__typename === 'SendBatchSmsSuccess'
        ? 'SUCCESS'
        : e.result.code!
      : e.status === null
        ? 'NO_ANSWER'
        : `HTTP_${e.status}`;
    byResult[key] = (byResult[key] ?? 0) + 1;
  }
  const third = Math.max(1, Math.floor(rss.length / 3));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return {
    requests: exchanges.length,
    answered: exchanges.filter((e) => e.result).length,
    noAnswer: exchanges.filter((e) => e.status === null).length,
    byResult,
    upstreamCalls: upstream.calls.length,
    violations,
    rssMb: { first: Math.round(mean(rss.slice(0, third))), last: Math.round(mean(rss.slice(-third))), peak: Math.round(Math.max(...rss)) },
    eventLoopDelayMs: {
      p50: delay.percentile(50) / 1e6,
      p99: delay.percentile(99) / 1e6,
      max: delay.max / 1e6,
      firstThirdP99: mean(loopP99.slice(0, Math.max(1, Math.floor(loopP99.length / 3)))),
      lastThirdP99: mean(loopP99.slice(-Math.max(1, Math.floor(loopP99.length / 3)))),
    },
    unhandledRejections: unhandled,
  };
}

function check(exchanges: Exchange[], calls: readonly RecordedCall[]): string[] {
  const violations: string[] = [];
  const received = new Map<string, { phones: string[] }[]>();
  for (const call of calls) {
    const task = (JSON.parse(call.body.toString()) as { TaskContent: { TemplateId: string; Target: { Phone: string }[] }[] })
      .TaskContent[0];
    const list = received.get(task.TemplateId) ?? [];
    list.push({ phones: task.Target.map((t) => t.Phone) });
    received.set(task.TemplateId, list);
  }
  for (const [templateId, list] of received) {
    if (list.length > 1) violations.push(`${templateId} reached uSpeedo ${list.length} times`);
  }
  for (const e of exchanges) {
    const reached = received.get(e.templateId)?.[0];
    // Every answer is a 200: a 5xx or a 4xx would both be a broken contract.
    if (e.status !== null && e.status !== 200) violations.push(`${e.templateId}: HTTP ${e.status}`);
    if (!e.result) continue;
    if (e.result.__typename === 'SendBatchSmsSuccess') {
      if (!reached) violations.push(`${e.templateId}: answered as sent, never reached uSpeedo`);
      else if (reached.phones.join() !== e.phones.join()) violations.push(`${e.templateId}: uSpeedo got other phones`);
    } else if (NOTHING_SENT.has(e.result.code!) || e.result.retryable) {
      // An in-progress or replayed repeat shares its templateId with the request that did send.
      if (reached && e.result.code !== 'IDEMPOTENCY_IN_PROGRESS') {
        violations.push(`${e.templateId}: ${e.result.code} says nothing was sent, but uSpeedo got it`);
      }
    }
    const expected: Partial<Record<Mode, string>> = {
      invalid: 'INVALID_INPUT',
      retcode: 'UPSTREAM_SERVER_ERROR',
      reset: 'UPSTREAM_UNAVAILABLE',
      slow: 'UPSTREAM_TIMEOUT',
    };
    const want = expected[e.mode];
    // Under load any send may run out of time; that answer is always honest ("may have been sent").
    if (want && e.result.code !== want && e.result.code !== 'UPSTREAM_TIMEOUT') {
      violations.push(`${e.templateId}: expected ${want}, got ${e.result.code ?? e.result.__typename}`);
    }
  }
  return violations;
}
