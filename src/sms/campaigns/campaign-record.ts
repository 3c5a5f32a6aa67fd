import type { Caller } from '../../auth/caller';
import type { SmsCampaignFailureCode, SmsCampaignPageState, SmsCampaignState } from './sms-campaign-enums';

/** Pages one campaign may hold: page numbers run from 0 to one less. */
export const MAX_CAMPAIGN_PAGES = 1000;
/** A campaign's name, at most, in characters. */
export const CAMPAIGN_NAME_MAX_LENGTH = 200;

/** An error as a page or a campaign keeps it: the SmsError fields, plain. */
export interface KeptError {
  code: string;
  message: string;
  retryable: boolean;
  retryAfterSeconds: number | null;
  retCode: number | null;
  httpStatus: number | null;
  requestUuid: string | null;
}

/** One page as its campaign's record keeps it; its targets are a document of their own. */
export interface PageRecord {
  page: number;
  recipients: number;
  /** The page's batch as an idempotency key compares it, hashed: the same page added again is a replay. */
  fingerprint: string;
  /** Its templates, for the start's check. */
  templateIds: string[];
  /** Billed SMS; null while a template's text is unknown. */
  segments: number | null;
  /** By calling code: recipients and segments (null while unknown). */
  countries: [string, number, number | null][];
  state: SmsCampaignPageState;
  sessionNos: string[];
  error: KeptError | null;
  sent: number;
  failed: number;
  skipped: number;
  unknown: number;
  /** Entries in its failures document. */
  failures: number;
  /** While SENDING: until when its sender holds it; past this, any instance takes it over. */
  leaseUntil?: number;
  /** While SENDING: which claim holds it, so a sender changes only a page it still holds. */
  holder?: string;
}

/** A campaign's record: small (its pages' targets are documents of their own), read and written whole. */
export interface CampaignRecord {
  id: string;
  name: string;
  owner: { id: string; kind: Caller['kind'] };
  state: SmsCampaignState;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  draftExpiresAt: number;
  /** Why the server holds it, and until when (null: until a caller resumes it). */
  blocked: (KeptError & { until: number | null }) | null;
  /** By page number. */
  pages: PageRecord[];
}

/** One target that was not sent: its task and target in its page, E.164, why. */
export type FailureEntry = [task: number, target: number, e164: string, code: SmsCampaignFailureCode, reason: string];

/** A page's targets as stored: the input's tasks as GraphQL coerced them. */
export interface PageContent {
  taskContent: { templateId: string; senderId: string; target: { phone: string; templateParams?: string[] | null }[] }[];
}

// Every key of one campaign carries its hash tag, so a Cluster keeps them on one slot.
const tag = (id: string) => `{cmp:${id}}`;
/** The campaign's record. */
export const campaignKey = (id: string) => `${tag(id)}:campaign`;
/** A page's targets, by its fingerprint: a page replaced while DRAFT never overwrites the one its record names. */
export const contentKey = (id: string, page: number, fingerprint: string) => `${tag(id)}:page:${page}:${fingerprint.slice(0, 16)}`;
/** A page's failed and skipped targets. */
export const failuresKey = (id: string, page: number) => `${tag(id)}:failures:${page}`;
/** A caller's open campaigns and creation keys. */
export const ownerKey = (scope: string) => `{cmpo:${scope.length}:${scope}}:campaigns`;
/** The campaigns SENDING, with whose turn it is. */
export const RUNNING_KEY = '{cmprun}:running';
/** When the next page may go, across every instance. */
export const PACE_KEY = '{cmprun}:pace';

/** Until when a finished campaign (DONE or CANCELLED) is kept, as long as its sessions from when it finished; null while it runs. */
export function keptUntil(record: CampaignRecord, retentionSeconds: number, now: number): number | null {
  if (record.state !== 'DONE' && record.state !== 'CANCELLED') return null;
  return (record.finishedAt ?? now) + retentionSeconds * 1000;
}

/** True while a page is not tried, or being tried. */
export const isPending = (page: PageRecord) => page.state === 'PENDING' || page.state === 'SENDING';

/** Every key a campaign's pages use now. */
export const pageKeys = (record: CampaignRecord): string[] =>
  record.pages.flatMap((page) => [contentKey(record.id, page.page, page.fingerprint), failuresKey(record.id, page.page)]);
