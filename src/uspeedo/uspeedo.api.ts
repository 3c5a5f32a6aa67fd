import type { FastifyBaseLogger } from 'fastify';
import type { UpstreamAnswer } from './upstream-answer';
import { chunkIds, type ReadAnswer, type UpstreamReads } from './upstream-reads';
import { cleanUpstreamText } from './upstream-text';
import type { UspeedoClient } from './uspeedo.client';
import { MAX_IDS_PER_LOOKUP, USPEEDO_PATHS } from './uspeedo.types';

/** The lookups uSpeedo takes a list of ids for. */
export type LookupKind = 'receipts' | 'templates';

/**
 * uSpeedo's calls, one named method each, every answer classified the same way (`UspeedoClient.answer`). A
 * send is one attempt, never retried; a read goes through `UpstreamReads` (in-flight limit, retry
 * budget, breaker).
 */
export class UspeedoApi {
  constructor(
    private readonly client: UspeedoClient,
    private readonly reads: UpstreamReads,
  ) {}

  /** Posts one batch, its JSON body already stringified. Exactly one attempt: a retried POST is a second SMS. */
  sendBatch(body: string): Promise<UpstreamAnswer> {
    return this.client.answer({ method: 'POST', path: USPEEDO_PATHS.sendBatch, body });
  }

  /** Receipts (USMSSendReceipt) for one chunk of session numbers (see `chunks`), retried as reads are. */
  receipts(sessionNos: readonly string[], log: FastifyBaseLogger): Promise<ReadAnswer> {
    return this.reads.read({ method: 'GET', path: USPEEDO_PATHS.receipts, query: { id: sessionNos } }, log, 'status');
  }

  /** Templates (USMSTemplate) for one chunk of ids (see `chunks`), retried as reads are. */
  templates(templateIds: readonly string[], log: FastifyBaseLogger): Promise<ReadAnswer> {
    return this.reads.read({ method: 'GET', path: USPEEDO_PATHS.templates, query: { id: templateIds } }, log, 'templates');
  }

  /** Ids split into the fewest calls of a lookup, each within uSpeedo's count and a safe request line. */
  chunks(kind: LookupKind, ids: readonly string[]): string[][] {
    return chunkIds(USPEEDO_PATHS[kind], ids, MAX_IDS_PER_LOOKUP);
  }

  /** uSpeedo's text (a failure reason) as a caller may see it: without this server's credentials, only showable characters. */
  readonly cleanText = (text: string): string => cleanUpstreamText(text, this.redact);

  private readonly redact = (text: string): string => this.client.redact(text);

  /** Stops the reads' breaker and closes the connections to uSpeedo, once no call is in flight. */
  async close(): Promise<void> {
    this.reads.close();
    await this.client.close();
  }
}
