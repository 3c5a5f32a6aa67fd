import type { BatchReading } from '../send/batch-check';
import type { SendBatchSmsInput } from '../send/send-batch-sms.input';
import type { SendBatchSmsError } from '../send/send-batch-sms.result';
import { messageSize, type MessageSize } from './sms-segments';
import { SmsCountryPreview, SmsMessagePreview, SmsSendPreview } from './sms-send-preview.result';

/** A template's text with each `{n}` replaced by the target's n-th parameter (the check made their counts agree). */
const fill = (content: string, params: readonly string[]) =>
  content.replace(/\{(\d+)\}/g, (whole, n: string) => params[Number(n) - 1] ?? whole);

/** What each recipient of a batch that keeps every rule will receive, and what it costs, by message and by country. */
export function previewOf(
  input: SendBatchSmsInput,
  reading: Extract<BatchReading, { ok: true }>,
  rateLimit: SendBatchSmsError | null,
): SmsSendPreview {
  const { templates, recipients } = reading;
  // Recipients of one template with the same params receive the same text: sized once.
  const sizes = new Map<string, MessageSize>();
  const countries = new Map<string, { recipients: number; segments: number | null }>();
  let total: number | null = 0;
  const messages = recipients.map(({ e164, task, target, countryCode }) => {
    const { templateId, target: targets } = input.taskContent[task];
    const template = templates?.get(templateId);
    const text = template ? fill(template.content, targets[target].templateParams ?? []) : null;
    let size = text === null ? undefined : sizes.get(text);
    if (text !== null && !size) sizes.set(text, (size = messageSize(text)));
    const country = countries.get(countryCode) ?? { recipients: 0, segments: 0 };
    country.recipients++;
    country.segments = size && country.segments !== null ? country.segments + size.segments : null;
    countries.set(countryCode, country);
    total = size && total !== null ? total + size.segments : null;
    return Object.assign(new SmsMessagePreview(), {
      path: ['taskContent', String(task), 'target', String(target)],
      phone: e164,
      countryCode,
      text,
      encoding: size?.encoding ?? null,
      characters: size?.characters ?? null,
      segments: size?.segments ?? null,
    });
  });
  return Object.assign(new SmsSendPreview(), {
    recipients: recipients.length,
    segments: total,
    templatesChecked: templates !== null,
    messages,
    countries: [...countries]
      .sort(([a, x], [b, y]) => y.recipients - x.recipients || a.localeCompare(b))
      .map(([countryCode, country]) => Object.assign(new SmsCountryPreview(), { countryCode, ...country })),
    rateLimit,
  });
}
