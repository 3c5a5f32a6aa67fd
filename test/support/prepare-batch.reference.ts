// The straightforward prepareBatch that src/sms/send/prepare-batch.ts replaced (every phone through
// libphonenumber-js, paths built up front, array copies, the batch's and tasks' own rules as
// class-validator decorators run by validateSync on class instances, as type-graphql once built them),
// kept to check the fast one gives the same answers. Its class-validator walk does not descend into
// targets: their one decorator rule (a list of strings) is the GraphQL type's own, so no GraphQL
// request can break it. It shares only the ordering of errors, and the printable-text rule, with the
// fast one.
import 'reflect-metadata';
import {
  ArrayNotEmpty,
  IsOptional,
  Length,
  Matches,
  MaxLength,
  ValidateBy,
  ValidateNested,
  validateSync,
  type ValidationError,
} from 'class-validator';
import type { SendBatchUSMSMessageRequest, UspeedoTarget } from '../../src/uspeedo/uspeedo.types';
import { readPhoneWithLibrary as readPhone } from '../../src/sms/shared/phone';
import { capFieldErrors, type BatchRecipient, type PreparedBatch } from '../../src/sms/send/prepare-batch';
import { printableTextProblem } from '../../src/sms/shared/printable-text';
import type { SendBatchSmsInput } from '../../src/sms/send/send-batch-sms.input';
import { SendBatchSmsErrorCode } from '../../src/sms/send/send-batch-sms-error-code.enum';
import type { FieldError } from '../../src/sms/shared/field-error.result';
import type { SmsLimitValues } from '../../src/sms/shared/sms-limits';

// templateId and senderId are identifiers (private-use characters refused too).
const IsPrintableText = (): PropertyDecorator =>
  ValidateBy({
    name: 'isPrintableText',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && printableTextProblem(value, { identifier: true }) === undefined,
      defaultMessage: (args) =>
        (typeof args?.value === 'string' ? printableTextProblem(args.value, { identifier: true }) : undefined) ?? 'must be text',
    },
  });

// The input classes' decorators as they were (decorators apply bottom-up, which sets the order of two
// messages for one field).
class ReferenceTarget {
  phone!: string;
  templateParams?: string[] | null;
}
class ReferenceTask {
  @IsPrintableText()
  @MaxLength(64, { message: 'must be at most 64 characters' })
  templateId!: string;

  @IsPrintableText()
  senderId!: string;

  @ArrayNotEmpty({ message: 'must contain at least one target' })
  target!: ReferenceTarget[];
}
class ReferenceBatch {
  @ArrayNotEmpty({ message: 'must contain at least one task' })
  @ValidateNested({ each: true })
  taskContent!: ReferenceTask[];

  @IsOptional()
  @Length(1, 255, { message: 'must be 1 to 255 characters' })
  @Matches(/^[\x20-\x7e]*$/, { message: 'must contain only printable ASCII characters' })
  idempotencyKey?: string | null;
}

/** The input as type-graphql once handed it to the resolver: instances of the decorated classes. */
const referenceInstances = (input: SendBatchSmsInput): ReferenceBatch =>
  Object.assign(new ReferenceBatch(), {
    ...(input.idempotencyKey !== undefined ? { idempotencyKey: input.idempotencyKey } : {}),
    taskContent: input.taskContent.map((task) =>
      Object.assign(new ReferenceTask(), { ...task, target: task.target.map((target) => Object.assign(new ReferenceTarget(), target)) }),
    ),
  });

/** class-validator's nested errors as field errors, each with its path. */
function flatten(errors: ValidationError[], parent: string[], into: FieldError[]): void {
  for (const error of errors) {
    // An error about the object itself (forbidUnknownValues) has no property: it belongs to the parent.
    const path = error.property === undefined ? parent : [...parent, error.property];
    for (const message of Object.values(error.constraints ?? {})) into.push({ path, message });
    if (error.children?.length) flatten(error.children, path, into);
  }
}

const codePoints = (text: string) => {
  let count = 0;
  for (const _ of text) count++;
  return count;
};

/**
 * Checks a batch against the input rules and the configured limits, all at once, and builds the
 * upstream body from the same pass so each phone is parsed once. Messages never repeat input values.
 */
export function prepareBatchReference(
  input: SendBatchSmsInput,
  limits: SmsLimitValues,
  allowedCountryCodes: readonly string[] = [],
): PreparedBatch {
  const errors: FieldError[] = [];
  const destinationErrors: FieldError[] = [];
  const recipients: BatchRecipient[] = [];
  const allowed = allowedCountryCodes.length > 0 ? new Set(allowedCountryCodes) : undefined;
  // The size ceilings first, and alone: an oversized batch is not looked at further.
  const tasks = input.taskContent;
  if (tasks.length > limits.maxTasksPerRequest) {
    return {
      ok: false,
      code: SendBatchSmsErrorCode.INVALID_INPUT,
      fieldErrors: [{ path: ['taskContent'], message: `must contain at most ${limits.maxTasksPerRequest} tasks (found ${tasks.length})` }],
      oversized: true,
    };
  }
  const targetCount = tasks.reduce((sum, task) => sum + task.target.length, 0);
  if (targetCount > limits.maxTargetsPerRequest) {
    return {
      ok: false,
      code: SendBatchSmsErrorCode.INVALID_INPUT,
      fieldErrors: [
        {
          path: ['taskContent'],
          message: `must contain at most ${limits.maxTargetsPerRequest} targets across all tasks (found ${targetCount})`,
        },
      ],
      oversized: true,
    };
  }

  // The decorators on the input classes; class-validator walks the tasks, not their targets.
  flatten(
    validateSync(referenceInstances(input), { forbidUnknownValues: true, validationError: { target: false, value: false } }),
    [],
    errors,
  );

  const request: SendBatchUSMSMessageRequest = {
    TaskContent: tasks.map((task, t) => {
      const taskPath = ['taskContent', String(t)];
      if (codePoints(task.senderId) > limits.maxSenderIdLength) {
        errors.push({ path: [...taskPath, 'senderId'], message: `must be at most ${limits.maxSenderIdLength} characters` });
      }
      const seen = new Map<string, number>();
      const target = task.target.map((entry, i): UspeedoTarget => {
        const targetPath = [...taskPath, 'target', String(i)];
        const reading = readPhone(entry.phone);
        if (!reading.ok) {
          errors.push({ path: [...targetPath, 'phone'], message: reading.message });
        } else {
          const first = seen.get(reading.phone.e164);
          if (first === undefined) seen.set(reading.phone.e164, i);
          else errors.push({ path: [...targetPath, 'phone'], message: `repeats the phone number of target ${first} in this task` });
          if (allowed && !allowed.has(reading.phone.countryCode)) {
            destinationErrors.push({
              path: [...targetPath, 'phone'],
              message: `is in country code +${reading.phone.countryCode}, which this server does not send to`,
            });
          }
          recipients.push({ e164: reading.phone.e164, task: t, target: i, countryCode: reading.phone.countryCode });
        }
        const params = entry.templateParams ?? [];
        if (params.length > limits.maxTemplateParamsPerTarget) {
          errors.push({
            path: [...targetPath, 'templateParams'],
            message: `must contain at most ${limits.maxTemplateParamsPerTarget} entries (found ${params.length})`,
          });
        } else {
          params.forEach((param, p) => {
            const problem =
              codePoints(param) > limits.maxTemplateParamLength
                ? `must be at most ${limits.maxTemplateParamLength} characters`
                : printableTextProblem(param);
            if (problem) errors.push({ path: [...targetPath, 'templateParams', String(p)], message: problem });
          });
        }
        const phone = reading.ok ? reading.phone.upstream : entry.phone;
        return params.length > 0 ? { Phone: phone, TemplateParams: params } : { Phone: phone };
      });
      return { TemplateId: task.templateId, SenderId: task.senderId, Target: target };
    }),
  };

  // Every rule at once: a batch with bad input also hears about its disallowed destinations.
  if (errors.length > 0) {
    return { ok: false, code: SendBatchSmsErrorCode.INVALID_INPUT, fieldErrors: capFieldErrors([...errors, ...destinationErrors]) };
  }
  if (destinationErrors.length > 0) {
    return { ok: false, code: SendBatchSmsErrorCode.DESTINATION_NOT_ALLOWED, fieldErrors: capFieldErrors(destinationErrors) };
  }
  return { ok: true, request, recipients };
}
