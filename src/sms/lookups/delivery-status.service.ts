import type { FastifyBaseLogger } from 'fastify';
import { LRUCache } from 'lru-cache';
import { callerKey, type Caller } from '../../auth/caller';
import type { UspeedoApi } from '../../uspeedo/uspeedo.api';
import type { KnownSessions } from '../../guard/state-store';
import type { SentSessions } from '../sessions/sent-sessions';
import { maskPhone } from '../shared/mask-phone';
import { toSmsReceipt } from './lookup-answer.mapper';
import type { LookupRefusals } from './lookup-refusals';
import { sessionStatus, SmsDeliveryStatus, type SmsReceipt } from './sms-delivery-status.result';
import { SmsQueryError } from './sms-query-error.result';

/** Longest session number accepted. */
const SESSION_NO_MAX_LENGTH = 128;
/** Receipts named (masked) in one log line, at most. */
const LOGGED_RECEIPTS = 20;
/** Sessions whose receipts are cached at most. */
const CACHED_SESSIONS = 50_000;
/**
 * How long a session with no receipts yet is cached, at most: its receipts are about to appear (5 to
 * 10 minutes after a send, seconds on the simulator), and a page polling it should see them then.
 */
const NO_RECEIPTS_CACHE_MS = 1000;

/** `smsDeliveryStatus`: receipts for a caller's own sessions, read from uSpeedo with retries and a cache. */
export class DeliveryStatusService {
  private readonly cache: LRUCache<string, SmsReceipt[]> | undefined;
  private readonly noReceiptsTtlMs: number;

  constructor(
    private readonly uspeedo: Pick<UspeedoApi, 'receipts' | 'chunks'>,
    private readonly sessions: SentSessions,
    private readonly refusals: LookupRefusals,
    cacheSeconds: number,
  ) {
    this.cache = cacheSeconds > 0 ? new LRUCache({ max: CACHED_SESSIONS, ttl: cacheSeconds * 1000 }) : undefined;
    this.noReceiptsTtlMs = Math.min(NO_RECEIPTS_CACHE_MS, cacheSeconds * 1000);
  }

  /** One answer per session asked, in order: the caller's own sessions with their receipts, any other as unknown. */
  async deliveryStatus(
    sessionNos: string[],
    caller: Caller,
    log: FastifyBaseLogger,
    listsCut = false,
  ): Promise<SmsDeliveryStatus | SmsQueryError> {
    const refusals = this.refusals;
    const invalid = refusals.checkIds('sessionNos', sessionNos, SESSION_NO_MAX_LENGTH, listsCut, log);
    if (invalid) return invalid;
    const scope = callerKey(caller);
    const over = await refusals.charge('status', scope, sessionNos.length, log);
    if (over) return over;
    let known: KnownSessions;
    try {
      known = await this.sessions.known(scope, sessionNos);
    } catch (error) {
      return refusals.storeFailed(log, error);
    }

    const read = await this.receipts(
      sessionNos.filter((sessionNo) => known.has(sessionNo)),
      log,
      refusals,
    );
    if (read instanceof SmsQueryError) return read;
    const { receipts, requestUuid, asked } = read;
    const sessions = sessionNos.map((sessionNo) =>
      sessionStatus(sessionNo, known.has(sessionNo), known.get(sessionNo) ?? null, receipts.get(sessionNo) ?? []),
    );
    // The log line names the first few receipts, masked; no more are masked than it names.
    const phones: string[] = [];
    for (const session of sessions) {
      for (const receipt of session.receipts.slice(0, LOGGED_RECEIPTS - phones.length)) {
        phones.push(`${maskPhone(receipt.phone)}:${receipt.status}`);
      }
    }
    log.info(
      { sms: { caller: caller.id, sessions: sessionNos.length, known: known.size, asked, receipts: phones, requestUuid } },
      'smsDeliveryStatus answered',
    );
    refusals.answered();
    return Object.assign(new SmsDeliveryStatus(), { sessions, requestUuid });
  }

  /** Of `sessionNos`, the caller's, with their expected receipts. Throws what the store throws. */
  known(caller: Caller, sessionNos: readonly string[]): Promise<KnownSessions> {
    return this.sessions.known(callerKey(caller), sessionNos);
  }

  /**
   * Receipts of sessions already found to be the caller's, by session: from the cache, and from
   * uSpeedo for the rest (all of them when `fresh`), each answer cached. A failure is `refusals`'
   * answer for it. The follower's polls come here too, so the query and the subscription share one cache.
   */
  async receipts(
    sessionNos: readonly string[],
    log: FastifyBaseLogger,
    refusals: LookupRefusals,
    fresh = false,
  ): Promise<{ receipts: Map<string, SmsReceipt[]>; requestUuid: string | null; asked: number } | SmsQueryError> {
    const receipts = new Map<string, SmsReceipt[]>();
    const toAsk: string[] = [];
    for (const sessionNo of sessionNos) {
      const cached = fresh ? undefined : this.cache?.get(sessionNo);
      if (cached) receipts.set(sessionNo, cached);
      else toAsk.push(sessionNo);
    }
    let requestUuid: string | null = null;
    for (const chunk of this.uspeedo.chunks('receipts', toAsk)) {
      const answer = await this.uspeedo.receipts(chunk, log);
      if (!answer.ok) {
        return answer.failure === 'unreadable' ? refusals.unreadable(log, answer.requestUuid) : refusals.upstreamError(log, answer.failure);
      }
      requestUuid = answer.requestUuid;
      for (const sessionNo of chunk) {
        const found = (answer.records.get(sessionNo) ?? []).map(toSmsReceipt);
        receipts.set(sessionNo, found);
        this.cache?.set(sessionNo, found, found.length === 0 ? { ttl: this.noReceiptsTtlMs } : undefined);
      }
    }
    return { receipts, requestUuid, asked: toAsk.length };
  }
}
