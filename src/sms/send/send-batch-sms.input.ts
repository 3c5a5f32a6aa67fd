import { Field, InputType } from 'type-graphql';
import { IDEMPOTENCY_KEY_MAX_LENGTH, TEMPLATE_ID_MAX_LENGTH } from '../shared/sms-limits';

// The shape only. Every rule (these fields' own and the configurable limits) is checked in
// prepare-batch.ts, in one pass that also builds the upstream body. The resolver receives the input as
// GraphQL coerced it, plain objects with these fields, not instances of these classes (see schema.ts).

/** One recipient of a task. */
@InputType({ description: 'One recipient of a task.' })
export class SmsTargetInput {
  @Field(() => String, {
    description:
      "E.164 (+85255311111), uSpeedo's bracket form ((852)55311111), or mainland China digits (13800138000). Spaces are ignored.",
  })
  phone!: string;

  @Field(() => [String], {
    nullable: true,
    description:
      "Values for the template's variables {1}, {2}, … in order; printable text (no control characters, newlines included). " +
      'Leave out for a template without variables.',
  })
  templateParams?: string[] | null;
}

/** One template sent from one sender to a list of recipients. */
@InputType({ description: 'One template sent from one sender to a list of recipients.' })
export class SmsTaskInput {
  @Field(() => String, { description: `uSpeedo template id, 1 to ${TEMPLATE_ID_MAX_LENGTH} characters.` })
  templateId!: string;

  @Field(() => String, { description: 'Sender name registered with uSpeedo (see smsLimits.maxSenderIdLength).' })
  senderId!: string;

  @Field(() => [SmsTargetInput], { description: 'Recipients, at least one; a phone number at most once per task.' })
  target!: SmsTargetInput[];
}

/** The whole batch: sent to uSpeedo as one request, or not at all. */
@InputType({ description: 'A batch of tasks, sent to uSpeedo as one request or not at all.' })
export class SendBatchSmsInput {
  @Field(() => [SmsTaskInput], { description: 'Tasks, at least one; see smsLimits for the maxima.' })
  taskContent!: SmsTaskInput[];

  @Field(() => String, {
    nullable: true,
    description:
      'Makes retries safe: the same key with the same batch returns the first result without sending again. ' +
      `1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters, scoped to the caller, kept for smsLimits.idempotencyTtlSeconds. ` +
      'A UUID per batch is a good key.',
  })
  idempotencyKey?: string | null;
}
