import type { UspeedoJson } from './upstream-answer';

// uSpeedo's v1 lookup bodies are documented only in their older form, so they are read tolerantly:
// `Data` as an array or a single object, a missing optional field as null, an unknown result or
// status as UNKNOWN with uSpeedo's own word kept. An entry without its id is skipped. What comes out
// is plain records, in this server's words: no caller of them names a field of uSpeedo's.

/** What became of one message, in this server's words. */
type ReceiptOutcome = 'DELIVERED' | 'FAILED' | 'UNKNOWN' | 'SUBMIT_FAILED';
/** What a template is for. */
type TemplatePurpose = 'VERIFICATION' | 'NOTIFICATION' | 'MARKETING';
/** Where a template stands in uSpeedo's review. */
type TemplateReview = 'PENDING_REVIEW' | 'UNDER_REVIEW' | 'APPROVED' | 'REJECTED' | 'UNKNOWN';

/** One delivery receipt. */
export interface ReceiptRecord {
  phone: string;
  status: ReceiptOutcome;
  receiptCode: string | null;
  /** uSpeedo's description; for a result this server does not know, uSpeedo's word first. */
  description: string | null;
  billedSegments: number | null;
  receivedAt: Date | null;
  countryCode: string | null;
}

/** One template. */
export interface TemplateRecord {
  templateId: string;
  name: string | null;
  content: string;
  purpose: TemplatePurpose | null;
  status: TemplateReview;
  /** The highest `{n}` in its text: how many params a target must send. */
  variableCount: number;
}

const RECEIPT_RESULTS: Readonly<Record<string, ReceiptOutcome>> = {
  Success: 'DELIVERED',
  Fail: 'FAILED',
  // uSpeedo's spelling, and the one it might correct to.
  Unknow: 'UNKNOWN',
  Unknown: 'UNKNOWN',
  SubmitFail: 'SUBMIT_FAILED',
};

const PURPOSES: Readonly<Record<number, TemplatePurpose>> = { 1: 'VERIFICATION', 2: 'NOTIFICATION', 3: 'MARKETING' };

const STATUSES: Readonly<Record<number, TemplateReview>> = { 0: 'PENDING_REVIEW', 1: 'UNDER_REVIEW', 2: 'APPROVED', 3: 'REJECTED' };

type Entry = Readonly<Record<string, unknown>>;

const isEntry = (value: unknown): value is Entry => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `Data` as a list of objects; undefined when it is something else altogether. */
function entries(data: unknown): Entry[] | undefined {
  if (data === undefined || data === null) return [];
  if (Array.isArray(data)) return data.filter(isEntry);
  return isEntry(data) ? [data] : undefined;
}

const text = (value: unknown): string | null => {
  if (typeof value === 'string') return value === '' ? null : value;
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : null;
};

const integer = (value: unknown): number | null => {
  const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) ? number : null;
};

function readReceipt(raw: Entry): ReceiptRecord | undefined {
  const phone = text(raw.Phone);
  if (phone === null) return undefined;
  const word = text(raw.ReceiptResult);
  const known = word === null ? undefined : RECEIPT_RESULTS[word];
  const description = text(raw.ReceiptDesc);
  const seconds = integer(raw.ReceiptTime);
  return {
    phone,
    status: known ?? 'UNKNOWN',
    receiptCode: text(raw.ReceiptCode),
    // A result this server does not know keeps uSpeedo's word.
    description: known === undefined && word !== null ? [`uSpeedo result: ${word}`, description].filter(Boolean).join('; ') : description,
    billedSegments: integer(raw.CostCount),
    receivedAt: seconds !== null && seconds > 0 ? new Date(seconds * 1000) : null,
    countryCode: text(raw.CountryCode),
  };
}

/** Receipts by session number, from a USMSSendReceipt answer; undefined when `Data` cannot be read at all. */
export function readReceipts(json: UspeedoJson): Map<string, ReceiptRecord[]> | undefined {
  const sessions = entries(json.Data);
  if (!sessions) return undefined;
  const bySession = new Map<string, ReceiptRecord[]>();
  for (const session of sessions) {
    const sessionNo = text(session.SessionNo);
    if (sessionNo === null) continue;
    const receipts = bySession.get(sessionNo) ?? [];
    for (const raw of entries(session.ReceiptSet) ?? []) {
      const receipt = readReceipt(raw);
      if (receipt) receipts.push(receipt);
    }
    bySession.set(sessionNo, receipts);
  }
  return bySession;
}

function variableCount(content: string): number {
  let highest = 0;
  for (const match of content.matchAll(/\{(\d+)\}/g)) highest = Math.max(highest, Number(match[1]));
  return highest;
}

/** Templates by id, from a USMSTemplate answer; undefined when `Data` cannot be read at all. */
export function readTemplates(json: UspeedoJson): Map<string, TemplateRecord> | undefined {
  const list = entries(json.Data);
  if (!list) return undefined;
  const byId = new Map<string, TemplateRecord>();
  for (const raw of list) {
    const templateId = text(raw.TemplateId);
    if (templateId === null) continue;
    const content = text(raw.Template) ?? '';
    const status = integer(raw.Status);
    const purpose = integer(raw.Purpose);
    byId.set(templateId, {
      templateId,
      name: text(raw.TemplateName),
      content,
      purpose: (purpose !== null && PURPOSES[purpose]) || null,
      status: (status !== null && STATUSES[status]) || 'UNKNOWN',
      variableCount: variableCount(content),
    });
  }
  return byId;
}
