import type { StateStore } from '../../guard/state-store';
import { campaignKey, ownerKey, PACE_KEY, RUNNING_KEY, type CampaignRecord } from './campaign-record';

/** Writes lost to another writer before one is given up on (each loser reads again and decides again). */
const WRITE_TRIES = 20;

/** What a change to a document decides: the value to write (and when it expires), and what to answer. */
export type Decision<T, R> = { write?: { value: T; expiresAt: number | null }; answer: R };

/** A caller's open campaigns and creation keys. */
export interface OwnerRecord {
  open: Record<string, { state: string; draftExpiresAt: number }>;
  keys: Record<string, { id: string; fingerprint: string; expiresAt: number }>;
}

/** The campaigns SENDING: when each last had its turn, and before when it may not go (a wait it was told). */
export type RunningRecord = Record<string, { turnAt: number; notBefore: number }>;

/** The pace after a POST of `recipients` at `at`: the next held back its share of the minute, kept a minute past that. */
function paceFrom(at: number, recipients: number, perMinute: number) {
  const nextAt = at + Math.ceil((recipients * 60_000) / perMinute);
  return { value: { nextAt }, expiresAt: nextAt + 60_000 };
}

/** The pace every instance shares: when the next page may be posted. */
interface PaceRecord {
  nextAt: number;
}

/** Creation keys one caller keeps at most: the oldest go first. */
const OWNER_KEYS = 1000;

/** Open campaigns that count against the limit: SENDING, PAUSED, and DRAFTs that have not expired. */
export const openCount = (owner: OwnerRecord, now: number) =>
  Object.values(owner.open).filter((entry) => entry.state !== 'DRAFT' || entry.draftExpiresAt > now).length;

/**
 * The campaigns' documents in the state store, each changed by reading it, deciding, and writing at
 * the version read: a writer that lost reads again and decides again, so no change is ever lost and
 * no two instances both take one page.
 */
export class CampaignDocuments {
  constructor(private readonly store: StateStore) {}

  /** A document's value and version, or null. */
  async read<T>(key: string, now = Date.now()): Promise<{ value: T; version: number } | null> {
    const found = await this.store.getDocument(key, now);
    return found ? { value: JSON.parse(found.value) as T, version: found.version } : null;
  }

  /** Reads, decides, writes at the version read; again while another writer came first. */
  async change<T, R>(key: string, decide: (current: T | null, now: number) => Decision<T, R>): Promise<R> {
    for (let attempt = 0; ; attempt++) {
      const now = Date.now();
      const current = await this.read<T>(key, now);
      const decision = decide(current?.value ?? null, now);
      if (!decision.write) return decision.answer;
      const written = await this.store.putDocument(
        key,
        JSON.stringify(decision.write.value),
        current?.version ?? 0,
        decision.write.expiresAt,
        now,
      );
      if (written !== null) return decision.answer;
      if (attempt >= WRITE_TRIES) throw new Error(`${key}: ${WRITE_TRIES} writes in a row lost to others`);
    }
  }

  /** A campaign's record, whoever owns it; null when there is none. */
  async campaign(id: string): Promise<CampaignRecord | null> {
    return (await this.read<CampaignRecord>(campaignKey(id)))?.value ?? null;
  }

  /** Changes a campaign's record. */
  changeCampaign<R>(id: string, decide: (current: CampaignRecord | null, now: number) => Decision<CampaignRecord, R>): Promise<R> {
    return this.change(campaignKey(id), decide);
  }

  /** Changes a caller's open campaigns and keys; expired DRAFTs and keys are dropped on the way. */
  changeOwner<R>(scope: string, decide: (owner: OwnerRecord, now: number) => Decision<OwnerRecord, R>): Promise<R> {
    return this.change<OwnerRecord, R>(ownerKey(scope), (current, now) => {
      const owner: OwnerRecord = current ?? { open: {}, keys: {} };
      for (const [id, entry] of Object.entries(owner.open)) {
        if (entry.state === 'DRAFT' && entry.draftExpiresAt <= now) delete owner.open[id];
      }
      const keys = Object.entries(owner.keys).filter(([, entry]) => entry.expiresAt > now);
      owner.keys = Object.fromEntries(keys.sort(([, a], [, b]) => a.expiresAt - b.expiresAt).slice(-OWNER_KEYS));
      return decide(owner, now);
    });
  }

  /** Notes a campaign's state in its owner's open list: gone once it is DONE or CANCELLED. */
  noteOwner(scope: string, id: string, state: string, draftExpiresAt: number): Promise<void> {
    return this.changeOwner(scope, (owner) => {
      if (state === 'DONE' || state === 'CANCELLED') delete owner.open[id];
      else owner.open[id] = { state, draftExpiresAt };
      return { write: { value: owner, expiresAt: null }, answer: undefined };
    });
  }

  /** The campaigns SENDING. */
  async running(): Promise<RunningRecord> {
    return (await this.read<RunningRecord>(RUNNING_KEY))?.value ?? {};
  }

  /** Changes the list of campaigns SENDING: `turn` undefined takes one off it. */
  changeRunning(id: string, turn: { turnAt: number; notBefore: number } | undefined): Promise<void> {
    return this.change<RunningRecord, void>(RUNNING_KEY, (current) => {
      const running = current ?? {};
      if (turn) running[id] = turn;
      else if (id in running) delete running[id];
      else return { answer: undefined };
      return { write: { value: running, expiresAt: null }, answer: undefined };
    });
  }

  /** When the shared pace lets the next page go (in the past when it may go now). */
  async paceAt(): Promise<number> {
    const pace = await this.read<PaceRecord>(PACE_KEY);
    return pace?.value.nextAt ?? 0;
  }

  /**
   * Takes the shared pace for a POST of `recipients` now, at the moment it goes: `{ wait: 0, at }` when
   * it may go at once (the next POST, from any instance, is then held back `recipients / perMinute`
   * minutes from `at`), else how long until it may; null when that is more than `maxWaitMs` (nothing
   * taken).
   */
  takePace(recipients: number, perMinute: number, maxWaitMs: number): Promise<{ wait: number; at: number } | null> {
    return this.change<PaceRecord, { wait: number; at: number } | null>(PACE_KEY, (current, now) => {
      const wait = (current?.nextAt ?? 0) - now;
      if (wait > maxWaitMs) return { answer: null };
      if (wait > 0) return { answer: { wait, at: now } };
      return { write: paceFrom(now, recipients, perMinute), answer: { wait: 0, at: now } };
    });
  }

  /**
   * A POST that goes later than its pace was taken (its process was busy meanwhile): the next POST is
   * held back from now instead, so the lateness never narrows the gap to it.
   */
  async postingLate(recipients: number, perMinute: number): Promise<void> {
    await this.change<PaceRecord, void>(PACE_KEY, (current, now) => {
      const write = paceFrom(now, recipients, perMinute);
      return (current?.nextAt ?? 0) >= write.value.nextAt ? { answer: undefined } : { write, answer: undefined };
    });
  }
}
