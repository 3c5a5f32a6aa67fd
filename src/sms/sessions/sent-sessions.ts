import type { FastifyBaseLogger } from 'fastify';
import { LRUCache } from 'lru-cache';
import { callerKey, type Caller } from '../../auth/caller';
import type { KnownSessions, SentSession, StateStore } from '../../guard/state-store';

/** Sessions remembered by this process at most. */
const REMEMBERED_SESSIONS = 50_000;

const recordedKey = (scope: string, sessionNo: string) => `${scope}\n${sessionNo}`;

/**
 * The sessions each caller sent through this server: recorded after a send, asked before a delivery
 * status. Only a caller's own sessions are ever asked of uSpeedo.
 */
export class SentSessions {
  /**
   * Sessions this process recorded, by scope and session, with when they stop being the caller's:
   * the store's answer for them, without asking it. Only what the store took, and never past its
   * expiry, so it cannot know a session the store would not.
   */
  private readonly recorded = new LRUCache<string, { expiresAt: number; expected: number | null }>({ max: REMEMBERED_SESSIONS });

  constructor(
    private readonly store: StateStore,
    /** How long a caller's sent sessions are remembered as theirs. */
    private readonly retentionSeconds: number,
  ) {}

  /**
   * Remembers a successful send's sessions as the caller's, with their expected receipts, for the
   * retention period. A failure is logged, not thrown.
   */
  async record(caller: Caller, sessions: readonly SentSession[], log: FastifyBaseLogger): Promise<void> {
    if (sessions.length === 0) return;
    const expiresAt = Date.now() + this.retentionSeconds * 1000;
    const scope = callerKey(caller);
    try {
      await this.store.recordSessions(scope, sessions, expiresAt);
    } catch (error) {
      log.error({ err: error, sessions: sessions.length }, "could not record a send's sessions: smsDeliveryStatus will not know them");
      return;
    }
    for (const { sessionNo, expected } of sessions) this.recorded.set(recordedKey(scope, sessionNo), { expiresAt, expected });
  }

  /**
   * The sessions that are the caller's, with their expected receipts: those this process recorded,
   * and the store's answer for the rest. Throws what the store throws.
   */
  async known(scope: string, sessionNos: readonly string[]): Promise<KnownSessions> {
    const now = Date.now();
    const known: KnownSessions = new Map();
    const unsure: string[] = [];
    for (const sessionNo of sessionNos) {
      const recorded = this.recorded.get(recordedKey(scope, sessionNo));
      if (recorded && recorded.expiresAt > now) known.set(sessionNo, recorded.expected);
      else unsure.push(sessionNo);
    }
    if (unsure.length === 0) return known;
    for (const [sessionNo, expected] of await this.store.knownSessions(scope, unsure, now)) known.set(sessionNo, expected);
    return known;
  }
}
