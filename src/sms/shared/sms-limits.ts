/** The limits a batch is checked against; reported to clients by the `smsLimits` query. */
export interface SmsLimitValues {
  /** Phone numbers in one request, across all tasks. */
  maxTargetsPerRequest: number;
  /** Entries in `taskContent`. */
  maxTasksPerRequest: number;
  /** Entries in one target's `templateParams`. */
  maxTemplateParamsPerTarget: number;
  /** Characters (Unicode code points) in one template parameter. */
  maxTemplateParamLength: number;
  /** Characters in `senderId`. */
  maxSenderIdLength: number;
  /** Distinct `templateId`s in one request: each may cost a template lookup at uSpeedo. */
  maxTemplatesPerRequest: number;
}

/**
 * The ceilings. uSpeedo documents 1000 numbers a batch and an 11-character sender; it caps a
 * template's body at 500 characters, so no parameter can usefully be longer than that. The 100 tasks,
 * 20 parameters a target and 100 distinct templates (one a task) are this server's own bounds (uSpeedo
 * documents none). Configuration may
 * lower them, never raise them.
 */
export const SMS_LIMIT_CEILINGS: Readonly<SmsLimitValues> = Object.freeze({
  maxTargetsPerRequest: 1000,
  maxTasksPerRequest: 100,
  maxTemplateParamsPerTarget: 20,
  maxTemplateParamLength: 500,
  maxSenderIdLength: 11,
  maxTemplatesPerRequest: 100,
});

/** `templateId` length is fixed, not configurable. */
export const TEMPLATE_ID_MAX_LENGTH = 64;

/** Longest `idempotencyKey`, as with Stripe's idempotency keys. */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;
