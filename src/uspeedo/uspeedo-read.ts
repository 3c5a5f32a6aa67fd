import type { UspeedoJson } from './upstream-answer';

/**
 * One of uSpeedo's reads, declared in one file: where it lives, how its answer becomes a typed record,
 * and what the simulator answers for it. `UspeedoApi.read` makes it, retried as reads are, with a
 * breaker of its own; the simulator answers the reads the features declare (`SmsFeature.reads`). A
 * new read is one such file here and nothing else in this folder.
 */
export interface UspeedoRead<T> {
  /** Its name in logs and metrics, and its breaker's. */
  operation: string;
  /** Below the base URL, without a leading slash. */
  path: string;
  /** A RetCode 0 answer as its record; undefined when its `Data` cannot be read. */
  read(json: UspeedoJson): T | undefined;
  /** The simulator's answer to it (the whole body, RetCode first), given the query asked. */
  simulate(query: URLSearchParams): UspeedoJson;
}
