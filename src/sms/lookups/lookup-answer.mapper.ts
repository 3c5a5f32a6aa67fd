import type { UspeedoJson } from '../../uspeedo/upstream-answer';
import { SmsReceipt, SmsReceiptStatus } from './sms-delivery-status.result';
import { SmsTemplate, SmsTemplatePurpose, SmsTemplateStatus } from './sms-templates.result';

// uSpeedo's v1 lookup bodies are documented only in their older form, so they are read tolerantly:
// `Data` as an array or a single object, a missing optional field as null, an unknown result or
// status as UNKNOWN with uSpeedo's own word kept. An entry without its id is skipped.

const RECEIPT_RESULTS: Readonly<Record<string, SmsReceiptStatus>> = {
  Success: SmsReceiptStatus.DELIVERED,
  Fail: SmsReceiptStatus.FAILED,
  Unknow: SmsReceiptStatus.UNKNOWN,
  Unknown: SmsReceiptStatus.UNKNOWN,
  SubmitFail: SmsReceiptStatus.SUBMIT_FAILED,
};

const PURPOSES: Readonly<Record<number, SmsTemplatePurpose>> = {
  1: SmsTemplatePurpose.VERIFICATION,
  2: SmsTemplatePurpose.NOTIFICATION,
  3: SmsTemplatePurpose.MARKETING,
};

const STATUSES: Readonly<Record<number, SmsTemplateStatus>> = {
  0: SmsTemplateStatus.PENDING_REVIEW,
  1: SmsTemplateStatus.UNDER_REVIEW,
  2: SmsTemplateStatus.APPROVED,
  3: SmsTemplateStatus.REJECTED,
};

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

function readReceipt(raw: Entry): SmsReceipt | undefined {
  const phone = text(raw.Phone);
  if (phone === null) return undefined;
  const word = text(raw.ReceiptResult);
  const known = word === null ? undefined : RECEIPT_RESULTS[word];
  const description = text(raw.ReceiptDesc);
  const seconds = integer(raw.ReceiptTime);
  return Object.assign(new SmsReceipt(), {
    phone,
    status: known ?? SmsReceiptStatus.UNKNOWN,
    receiptCode: text(raw.ReceiptCode),
    // A result this server does not know keeps uSpeedo's word.
    description: known === undefined && word !== null ? [`uSpeedo result: ${word}`, description].filter(Boolean).join('; ') : description,
    billedSegments: integer(raw.CostCount),
    receivedAt: seconds !== null && seconds > 0 ? new Date(seconds * 1000) : null,
    countryCode: text(raw.CountryCode),
  });
}

/** Receipts by session number, from a USMSSendReceipt answer; undefined when `Data` cannot be read at all. */
export function readReceipts(json: UspeedoJson): Map<string, SmsReceipt[]> | undefined {
  const sessions = entries(json.Data);
  if (!sessions) return undefined;
  const bySession = new Map<string, SmsReceipt[]>();
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

/** The highest `{n}` in a template's text: how many params a target must send. */
function variableCount(content: string): number {
  let highest = 0;
  for (const match of content.matchAll(/\{(\d+)\}/g)) highest = Math.max(highest, Number(match[1]));
  return highest;
}

/** Templates by id, from a USMSTemplate answer; undefined when `Data` cannot be read at all. */
export function readTemplates(json: UspeedoJson): Map<string, SmsTemplate> | undefined {
  const list = entries(json.Data);
  if (!list) return undefined;
  const byId = new Map<string, SmsTemplate>();
  for (const raw of list) {
    const templateId = text(raw.TemplateId);
    if (templateId === null) continue;
    const content = text(raw.Template) ?? '';
    const status = integer(raw.Status);
    const purpose = integer(raw.Purpose);
    byId.set(
      templateId,
      Object.assign(new SmsTemplate(), {
        templateId,
        name: text(raw.TemplateName),
        content,
        purpose: (purpose !== null && PURPOSES[purpose]) || null,
        status: (status !== null && STATUSES[status]) || SmsTemplateStatus.UNKNOWN,
        variableCount: variableCount(content),
      }),
    );
  }
  return byId;
}
