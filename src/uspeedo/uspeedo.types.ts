// The wire formats of uSpeedo's API, as its docs name them. Key order is the spec's order, so a body
// built from these types serialises exactly as the spec's examples do.

/** Where each call lives, below the base URL. */
export const USPEEDO_PATHS = {
  sendBatch: 'api/v1/usms/SendBatchUSMSMessage',
  /** `GET ?id=S1&id=S2`: receipts per session, at most 100 sessions a call. */
  receipts: 'api/v1/usms/USMSSendReceipt',
  /** `GET ?id=T1&id=T2`: templates. */
  templates: 'api/v1/usms/USMSTemplate',
} as const;

/** The header uSpeedo names each request with, for its support. */
export const REQUEST_UUID_HEADER = 'x-speedo-request-uuid';

/**
 * The most of an answer that is read. A real one is far smaller: even a full batch echoed back in
 * FailedTargetPhones stays near the 1 MB request limit. Past this, something other than uSpeedo is
 * answering, and it must not fill the memory.
 */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/** Most session numbers (or template ids) one lookup may name. */
export const MAX_IDS_PER_LOOKUP = 100;

/** One recipient in a task. `TemplateParams` is left out, not empty, when there are none. */
export interface UspeedoTarget {
  Phone: string;
  TemplateParams?: string[];
}

/** One element of `TaskContent`. */
export interface UspeedoTask {
  TemplateId: string;
  SenderId: string;
  Target: UspeedoTarget[];
}

/** The request body of `POST /api/v1/usms/SendBatchUSMSMessage`. */
export interface SendBatchUSMSMessageRequest {
  TaskContent: UspeedoTask[];
}

/** One element of `FailedTargetPhones` in a response. */
export interface UspeedoFailedTarget {
  Phone?: unknown;
  TemplateParams?: unknown;
  FailureReason?: unknown;
}

/** uSpeedo's documented RetCodes. */
export const RetCode = {
  SUCCESS: 0,
  PARAMETER_ERROR: 215392,
  MISSING_PARAMETER: 215397,
  BAD_CREDENTIALS: 215398,
  SERVER_ERROR: 215400,
  TEMPLATE_NOT_FOUND: 215396,
} as const;
