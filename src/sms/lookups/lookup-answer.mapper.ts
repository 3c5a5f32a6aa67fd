import type { ReceiptRecord, TemplateRecord } from '../../uspeedo/lookup-records';
import { SmsReceipt, SmsReceiptStatus } from './sms-delivery-status.result';
import { SmsTemplate, SmsTemplatePurpose, SmsTemplateStatus } from './sms-templates.result';

// uSpeedo's records (src/uspeedo/lookup-records.ts) as the schema's types: the same words, as enums.

/** A receipt record as `SmsReceipt`. */
export const toSmsReceipt = (record: ReceiptRecord): SmsReceipt =>
  Object.assign(new SmsReceipt(), record, { status: SmsReceiptStatus[record.status] });

/** A template record as `SmsTemplate`. */
export const toSmsTemplate = (record: TemplateRecord): SmsTemplate =>
  Object.assign(new SmsTemplate(), record, {
    purpose: record.purpose === null ? null : SmsTemplatePurpose[record.purpose],
    status: SmsTemplateStatus[record.status],
  });
