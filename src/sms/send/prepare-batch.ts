import { arrayNotEmpty, length, matches, maxLength } from 'class-validator';
import type { Recipient } from '../../guard/rate-limits';
import { sendRequest, sendTarget, sendTask } from '../../uspeedo/send-request';
import type { SendBatchUSMSMessageRequest, UspeedoTarget, UspeedoTask } from '../../uspeedo/uspeedo.types';
import { readPhone } from '../shared/phone';
import { fitsCodePoints, printableTextProblem } from '../shared/printable-text';
import type { SendBatchSmsInput } from './send-batch-sms.input';
import { SendBatchSmsErrorCode } from './send-batch-sms-error-code.enum';
import type { FieldError } from '../shared/field-error.result';
import { IDEMPOTENCY_KEY_MAX_LENGTH, TEMPLATE_ID_MAX_LENGTH, type SmsLimitValues } from '../shared/sms-limits';

/** A recipient as the limits charge it, with its calling code ("86") from the same reading of its phone. */
export interface BatchRecipient extends Recipient {
  countryCode: string;
}

/** A batch checked against every rule: the upstream body to send, or every rule it broke. */
export type PreparedBatch =
  | { ok: true; request: SendBatchUSMSMessageRequest; recipients: BatchRecipient[] }
  | {
      ok: false;
      code: typeof SendBatchSmsErrorCode.INVALID_INPUT | typeof SendBatchSmsErrorCode.DESTINATION_NOT_ALLOWED;
      fieldErrors: FieldError[];
      /** Over the size ceilings: refused before any target was looked at. */
      oversized?: true;
    };

/** Field errors one answer lists at most; the last says how many more there were. */
export const MAX_FIELD_ERRORS = 100;

/**
 * Errors in document order, at most MAX_FIELD_ERRORS: past that, the first ones and a last entry at
 * the batch's root saying how many more were found. Every answer stays small, whatever the batch.
 */
export function capFieldErrors(errors: FieldError[]): FieldError[] {
  const sorted = errors.sort(comparePaths);
  if (sorted.length <= MAX_FIELD_ERRORS) return sorted;
  const more = sorted.length - (MAX_FIELD_ERRORS - 1);
  return [
    ...sorted.slice(0, MAX_FIELD_ERRORS - 1),
    { path: [], message: `and ${more} more problems like these, not listed: fix the ones above and send again` },
  ];
}

/**
 * The batch's size against the ceilings, before anything else is looked at: a batch over them is
 * refused at a cost that does not grow with how far over it is.
 */
function sizeProblem(input: SendBatchSmsInput, limits: SmsLimitValues, found: (count: number) => string): FieldError | undefined {
  const tasks = input.taskContent;
  if (tasks.length > limits.maxTasksPerRequest) {
    return { path: ['taskContent'], message: `must contain at most ${limits.maxTasksPerRequest} tasks (found ${found(tasks.length)})` };
  }
  let targetCount = 0;
  for (const task of tasks) targetCount += task.target.length;
  if (targetCount > limits.maxTargetsPerRequest) {
    return {
      path: ['taskContent'],
      message: `must contain at most ${limits.maxTargetsPerRequest} targets across all tasks (found ${found(targetCount)})`,
    };
  }
  // Each distinct template may be a lookup at uSpeedo: bounded before any is asked.
  if (tasks.length > limits.maxTemplatesPerRequest) {
    const templates = new Set(tasks.map((task) => task.templateId)).size;
    if (templates > limits.maxTemplatesPerRequest) {
      return {
        path: ['taskContent'],
        message: `must name at most ${limits.maxTemplatesPerRequest} distinct templateIds (found ${templates})`,
      };
    }
  }
  return undefined;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * The rules of the batch's and each task's own fields (not the targets'), with class-validator's
 * functions. It once ran as decorators through `validateSync`, on instances of the input classes; that
 * needed type-graphql to copy every target into a class instance first (see schema.ts).
 * test/support/prepare-batch.reference.ts keeps the decorators, and test/unit/prepare-batch.test.ts
 * checks both give the same messages in the same order.
 */
function checkOwnFields(input: SendBatchSmsInput, errors: FieldError[]): void {
  const key = input.idempotencyKey;
  if (key !== null && key !== undefined) {
    if (!matches(key, PRINTABLE_ASCII)) errors.push({ path: ['idempotencyKey'], message: 'must contain only printable ASCII characters' });
    if (!length(key, 1, IDEMPOTENCY_KEY_MAX_LENGTH)) {
      errors.push({ path: ['idempotencyKey'], message: `must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} characters` });
    }
  }
  if (!arrayNotEmpty(input.taskContent)) errors.push({ path: ['taskContent'], message: 'must contain at least one task' });
  for (let t = 0; t < input.taskContent.length; t++) {
    const task = input.taskContent[t];
    if (!maxLength(task.templateId, TEMPLATE_ID_MAX_LENGTH)) {
      errors.push({ path: ['taskContent', String(t), 'templateId'], message: `must be at most ${TEMPLATE_ID_MAX_LENGTH} characters` });
    }
    const templateProblem = printableTextProblem(task.templateId, { identifier: true });
    if (templateProblem) errors.push({ path: ['taskContent', String(t), 'templateId'], message: templateProblem });
    const senderProblem = printableTextProblem(task.senderId, { identifier: true });
    if (senderProblem) errors.push({ path: ['taskContent', String(t), 'senderId'], message: senderProblem });
    if (!arrayNotEmpty(task.target)) {
      errors.push({ path: ['taskContent', String(t), 'target'], message: 'must contain at least one target' });
    }
  }
}

// Where each field stands in its input type, as the schema declares them.
const FIELD_ORDER: Readonly<Record<string, number>> = {
  taskContent: 0,
  templateId: 0,
  senderId: 1,
  target: 2,
  phone: 0,
  templateParams: 1,
};

/**
 * Document order: fields as the input types declare them (`templateId`, `senderId`, `target`; `phone`,
 * `templateParams`), list positions as numbers, so target 10 comes after target 9, and a field's own
 * error before its children's.
 */
function comparePaths(a: FieldError, b: FieldError): number {
  for (let i = 0; i < Math.min(a.path.length, b.path.length); i++) {
    const x = a.path[i];
    const y = b.path[i];
    if (x === y) continue;
    const nx = Number(x);
    const ny = Number(y);
    if (Number.isInteger(nx) && Number.isInteger(ny)) return nx - ny;
    const fx = FIELD_ORDER[x];
    const fy = FIELD_ORDER[y];
    if (fx !== undefined && fy !== undefined) return fx - fy;
    return x < y ? -1 : 1;
  }
  return a.path.length - b.path.length;
}

const targetPath = (t: number, i: number, ...rest: string[]) => ['taskContent', String(t), 'target', String(i), ...rest];

/**
 * Checks a batch against the input rules and the configured limits, all at once, and builds the
 * upstream body from the same pass so each phone is parsed once. Messages never repeat input values.
 *
 * One loop over the targets, with paths built only for errors: at 1000 targets this runs once per
 * recipient in every send, so it allocates only what the upstream body and the guard keep.
 * The few batch- and task-level fields are checked first, by `checkOwnFields`.
 */
export function prepareBatch(
  input: SendBatchSmsInput,
  limits: SmsLimitValues,
  allowedCountryCodes: readonly string[] = [],
  listsCut = false,
): PreparedBatch {
  // Lists cut before coercion (graphql/list-ceiling.ts) held more than is counted here.
  const found = (count: number) => (listsCut ? `${count} or more` : String(count));
  const oversized = sizeProblem(input, limits, found);
  if (oversized) return { ok: false, code: SendBatchSmsErrorCode.INVALID_INPUT, fieldErrors: [oversized], oversized: true };
  const errors: FieldError[] = [];
  const destinationErrors: FieldError[] = [];
  const allowed = allowedCountryCodes.length > 0 ? new Set(allowedCountryCodes) : undefined;
  checkOwnFields(input, errors);

  const tasks = input.taskContent;

  const recipients: BatchRecipient[] = [];
  const taskContent: UspeedoTask[] = [];
  for (let t = 0; t < tasks.length; t++) {
    const task = tasks[t];
    if (!fitsCodePoints(task.senderId, limits.maxSenderIdLength)) {
      errors.push({ path: ['taskContent', String(t), 'senderId'], message: `must be at most ${limits.maxSenderIdLength} characters` });
    }
    // Numbers already in this task, by calling code, then national number: strings the input already
    // holds. Keyed by E.164, every target built a new string for the map to flatten and hash, which
    // was the largest single cost of this loop.
    const seen = new Map<string, Map<string, number>>();
    const entries = task.target;
    const target: UspeedoTarget[] = [];
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      const reading = readPhone(entry.phone);
      let phone = entry.phone;
      if (!reading.ok) {
        errors.push({ path: targetPath(t, i, 'phone'), message: reading.message });
      } else {
        const { e164, countryCode, upstream, national } = reading.phone;
        phone = upstream;
        let inCountry = seen.get(countryCode);
        if (inCountry === undefined) seen.set(countryCode, (inCountry = new Map<string, number>()));
        const first = inCountry.get(national);
        if (first === undefined) inCountry.set(national, i);
        else errors.push({ path: targetPath(t, i, 'phone'), message: `repeats the phone number of target ${first} in this task` });
        if (allowed && !allowed.has(countryCode)) {
          destinationErrors.push({
            path: targetPath(t, i, 'phone'),
            message: `is in country code +${countryCode}, which this server does not send to`,
          });
        }
        recipients.push({ e164, task: t, target: i, countryCode });
      }
      const params = entry.templateParams;
      if (params && params.length > 0) {
        if (params.length > limits.maxTemplateParamsPerTarget) {
          // Its entries are not looked at one by one: the list is wrong as a whole.
          errors.push({
            path: targetPath(t, i, 'templateParams'),
            message: `must contain at most ${limits.maxTemplateParamsPerTarget} entries (found ${found(params.length)})`,
          });
        } else {
          for (let p = 0; p < params.length; p++) {
            const param = params[p];
            // A parameter too long is that, and only that: its text is not read further.
            const problem = fitsCodePoints(param, limits.maxTemplateParamLength)
              ? printableTextProblem(param)
              : `must be at most ${limits.maxTemplateParamLength} characters`;
            if (problem) errors.push({ path: targetPath(t, i, 'templateParams', String(p)), message: problem });
          }
        }
      }
      target.push(sendTarget(phone, params));
    }
    taskContent.push(sendTask(task.templateId, task.senderId, target));
  }

  // Every rule at once: a batch with bad input also hears about its disallowed destinations.
  if (errors.length > 0) {
    return { ok: false, code: SendBatchSmsErrorCode.INVALID_INPUT, fieldErrors: capFieldErrors([...errors, ...destinationErrors]) };
  }
  if (destinationErrors.length > 0) {
    return { ok: false, code: SendBatchSmsErrorCode.DESTINATION_NOT_ALLOWED, fieldErrors: capFieldErrors(destinationErrors) };
  }
  return { ok: true, request: sendRequest(taskContent), recipients };
}
