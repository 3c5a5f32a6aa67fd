import type { FastifyBaseLogger } from 'fastify';
import CircuitBreaker from 'opossum';
import pLimit, { type LimitFunction } from 'p-limit';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Counter, Histogram } from 'prom-client';
import type { UspeedoCall, UspeedoClient } from './uspeedo.client';
import { isTransient, type UpstreamAnswer, type UpstreamFailure, type UspeedoJson } from './upstream-answer';

/** Attempts a read makes in all: the first and at most two retries, all within the upstream timeout. */
const ATTEMPTS = 3;
/** The first retry's wait; each further one doubles it. */
const BACKOFF_MS = 200;
/** Retries this process may make in a minute, across every caller and lookup: the retry budget. */
const RETRY_BUDGET_PER_MINUTE = 30;
/** The breaker opens when at least this many reads in its window failed transiently, half of them or more. */
export const BREAKER_VOLUME = 6;
/** How long an open breaker refuses reads before it lets one through to try. */
const BREAKER_OPEN_MS = 30_000;
/** Longest request line a lookup may make (path and query); proxies and servers commonly refuse more. */
export const MAX_LOOKUP_URL_BYTES = 2048;

/** Which lookup a read serves (`status`, `templates`): a label in logs and metrics. */
export type ReadOperation = string;

/** The metrics reads report to; the server's `SmsMetrics` has them. */
export interface ReadMetrics {
  breakerOpenings: Counter;
  readsRefused: Counter<'reason'>;
  lookupSeconds: Histogram<'operation' | 'result'>;
  /** Reads answered by one already at uSpeedo. */
  readsShared?: Counter<'operation'>;
}

/** A read's outcome: uSpeedo's RetCode 0 answer, or why not. */
export type ReadAnswer = { ok: true; json: UspeedoJson; requestUuid: string | null } | { ok: false; failure: UpstreamFailure };

/** A transient failure, thrown only so that the breaker counts it. */
class TransientReadFailure extends Error {
  constructor(readonly failure: UpstreamFailure) {
    super(failure.message);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Refusals made here, not by uSpeedo or the network: never retried.
const localRefusals = new WeakSet<UpstreamFailure>();

function refused(message: string, retryAfterSeconds: number): UpstreamFailure {
  const failure: UpstreamFailure = {
    ok: false,
    code: 'UPSTREAM_UNAVAILABLE',
    kind: 'not-sent',
    message,
    retCode: null,
    httpStatus: null,
    requestUuid: null,
    retryAfterSeconds,
  };
  localRefusals.add(failure);
  return failure;
}

/**
 * Splits ids into the fewest lookups that each ask at most `maxIds` and keep the request line within
 * MAX_LOOKUP_URL_BYTES, in order. An id that alone would pass it is still asked alone: the caller's
 * rules bound every id's length.
 */
export function chunkIds(path: string, ids: readonly string[], maxIds: number): string[][] {
  const chunks: string[][] = [];
  let chunk: string[] = [];
  let bytes = 0;
  const base = path.length + 2;
  for (const id of ids) {
    const cost = new URLSearchParams({ id }).toString().length + 1;
    if (chunk.length > 0 && (chunk.length >= maxIds || base + bytes + cost > MAX_LOOKUP_URL_BYTES)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(id);
    bytes += cost;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/**
 * Every read from uSpeedo (receipts, templates) goes through here, and so through three process-wide
 * bounds: at most `inFlight` reads at uSpeedo at once (the rest wait their turn), one retry budget
 * shared by every caller, and a circuit breaker that stops asking for a while after repeated transient
 * failures. No caller's document or uSpeedo's failures can turn one lookup into unbounded upstream
 * calls. Sends never pass here: they are never retried.
 */
export class UpstreamReads {
  private readonly limit: LimitFunction;
  private readonly retryBudget = new RateLimiterMemory({ points: RETRY_BUDGET_PER_MINUTE, duration: 60 });
  /**
   * One breaker per operation (receipts, templates): a template endpoint that keeps failing pauses
   * template lookups, never delivery status.
   */
  private readonly breakers = new Map<ReadOperation, CircuitBreaker<[UspeedoCall], UpstreamAnswer>>();
  /** Reads at uSpeedo now, by what they ask: the same read asked again meanwhile shares the answer. */
  private readonly inFlight = new Map<string, Promise<ReadAnswer>>();

  constructor(
    private readonly uspeedo: UspeedoClient,
    private readonly timeoutMs: number,
    inFlight: number,
    private readonly metrics: ReadMetrics,
  ) {
    this.limit = pLimit(inFlight);
  }

  /** The operation's breaker, made on its first read. */
  private breakerFor(operation: ReadOperation): CircuitBreaker<[UspeedoCall], UpstreamAnswer> {
    let breaker = this.breakers.get(operation);
    if (breaker) return breaker;
    breaker = new CircuitBreaker<[UspeedoCall], UpstreamAnswer>(
      async (call) => {
        const answer = await this.uspeedo.answer(call);
        if (!answer.ok && isTransient(answer)) throw new TransientReadFailure(answer);
        return answer;
      },
      {
        // The exchange keeps its own deadline.
        timeout: false,
        errorThresholdPercentage: 50,
        volumeThreshold: BREAKER_VOLUME,
        rollingCountTimeout: 10_000,
        resetTimeout: BREAKER_OPEN_MS,
      },
    );
    breaker.on('open', () => this.metrics.breakerOpenings.inc());
    this.breakers.set(operation, breaker);
    return breaker;
  }

  /**
   * One read with its retries: a connection failure, a timeout, a 429 (after its Retry-After) or a 5xx
   * is tried again, at most twice, with backoff, all within the upstream timeout, and only while the
   * process's retry budget lasts. A read asked while the very same one (method, path and query) is at
   * uSpeedo shares its answer (single flight): twenty watchers of one session that open together make
   * one GET. Reads carry no caller: who may ask what is decided before they are made.
   */
  read(call: UspeedoCall, log: FastifyBaseLogger, operation: ReadOperation): Promise<ReadAnswer> {
    const key = JSON.stringify([call.method, call.path, call.query ?? null]);
    const shared = this.inFlight.get(key);
    if (shared) {
      this.metrics.readsShared?.inc({ operation });
      return shared;
    }
    const reading = this.readAlone(call, log, operation).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, reading);
    return reading;
  }

  private async readAlone(call: UspeedoCall, log: FastifyBaseLogger, operation: ReadOperation): Promise<ReadAnswer> {
    const deadline = performance.now() + this.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      const answer = await this.attempt(call, deadline, operation);
      if (answer.ok) return { ok: true, json: answer.json, requestUuid: answer.requestUuid };
      const wait = answer.retryAfterSeconds !== null ? answer.retryAfterSeconds * 1000 : BACKOFF_MS * 2 ** (attempt - 1);
      const left = deadline - performance.now();
      if (attempt >= ATTEMPTS || !isTransient(answer) || localRefusals.has(answer) || wait >= left - 50) {
        return { ok: false, failure: answer };
      }
      if (
        !(await this.retryBudget.consume('reads').then(
          () => true,
          () => false,
        ))
      ) {
        this.metrics.readsRefused.inc({ reason: 'retry_budget' });
        log.warn({ sms: { operation, attempt, result: answer.code } }, 'uSpeedo lookup failed; the retry budget is spent, not retrying');
        return { ok: false, failure: answer };
      }
      log.warn({ sms: { operation, attempt, result: answer.code, retryInMs: wait } }, 'uSpeedo lookup failed, retrying');
      await sleep(wait);
    }
  }

  // One attempt: its turn among the reads in flight, then the breaker, then the exchange.
  private attempt(call: UspeedoCall, deadline: number, operation: ReadOperation): Promise<UpstreamAnswer> {
    return this.limit(async () => {
      const started = performance.now();
      if (started >= deadline - 1) {
        this.metrics.readsRefused.inc({ reason: 'queue' });
        return refused('Too many lookups are waiting for uSpeedo; this one ran out of time in line. Nothing was asked.', 1);
      }
      let answer: UpstreamAnswer;
      try {
        answer = await this.breakerFor(operation).fire({ ...call, timeoutMs: deadline - started });
      } catch (error) {
        if (error instanceof TransientReadFailure) {
          answer = error.failure;
        } else {
          // The breaker is open: uSpeedo failed repeatedly just now, so it is not asked.
          this.metrics.readsRefused.inc({ reason: 'breaker' });
          return refused(
            'uSpeedo lookups are paused after repeated failures. Nothing was asked; retry shortly.',
            Math.ceil(BREAKER_OPEN_MS / 1000),
          );
        }
      }
      this.metrics.lookupSeconds.observe({ operation, result: answer.ok ? 'OK' : answer.code }, (performance.now() - started) / 1000);
      return answer;
    });
  }

  /** Stops the breakers' timers. */
  close(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
  }
}
