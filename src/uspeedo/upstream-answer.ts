import type { UspeedoExchange } from './uspeedo.client';
import { MAX_RESPONSE_BYTES, RetCode } from './uspeedo.types';
import { cleanUpstreamText } from './upstream-text';

/**
 * The codes an upstream failure is reported with, written once: `SendBatchSmsErrorCode` and
 * `SmsQueryErrorCode` both take them from here.
 */
export const UPSTREAM_ERROR_CODES = {
  PARAMETER_ERROR: 'PARAMETER_ERROR',
  MISSING_PARAMETER: 'MISSING_PARAMETER',
  UPSTREAM_SERVER_ERROR: 'UPSTREAM_SERVER_ERROR',
  UPSTREAM_AUTH_FAILED: 'UPSTREAM_AUTH_FAILED',
  UPSTREAM_REJECTED: 'UPSTREAM_REJECTED',
  UPSTREAM_HTTP_ERROR: 'UPSTREAM_HTTP_ERROR',
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
  UPSTREAM_TIMEOUT: 'UPSTREAM_TIMEOUT',
  INVALID_UPSTREAM_RESPONSE: 'INVALID_UPSTREAM_RESPONSE',
} as const;

type UpstreamErrorCode = (typeof UPSTREAM_ERROR_CODES)[keyof typeof UPSTREAM_ERROR_CODES];

/** A JSON object uSpeedo answered, its fields unchecked. */
export type UspeedoJson = Readonly<Record<string, unknown>>;

/** An exchange that did not end in a RetCode 0 answer, classified once for every call. */
export interface UpstreamFailure {
  ok: false;
  code: UpstreamErrorCode;
  /**
   * What happened: on the wire (`not-sent`: provably nothing reached uSpeedo; `connection-lost`,
   * `timeout`, `too-large`: it may have), or in uSpeedo's answer (`auth`, `http`, `unreadable`, `retcode`).
   */
  kind: 'not-sent' | 'connection-lost' | 'timeout' | 'too-large' | 'auth' | 'http' | 'unreadable' | 'retcode';
  /** uSpeedo's Message (cleaned of this server's credentials), or a description of what happened. */
  message: string;
  retCode: number | null;
  httpStatus: number | null;
  requestUuid: string | null;
  /** From `Retry-After`, on a 429. */
  retryAfterSeconds: number | null;
}

/** What an exchange came to: uSpeedo's RetCode 0 answer, or why not. */
export type UpstreamAnswer =
  { ok: true; json: UspeedoJson; message: string | null; requestUuid: string | null; httpStatus: number } | UpstreamFailure;

const RETCODE_ERRORS: Readonly<Record<number, UpstreamErrorCode>> = {
  [RetCode.PARAMETER_ERROR]: 'PARAMETER_ERROR',
  [RetCode.MISSING_PARAMETER]: 'MISSING_PARAMETER',
  [RetCode.SERVER_ERROR]: 'UPSTREAM_SERVER_ERROR',
  [RetCode.BAD_CREDENTIALS]: 'UPSTREAM_AUTH_FAILED',
};

/** Reads `Retry-After` (seconds or an HTTP date) as whole seconds from `now`. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | null {
  if (header === null) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Math.min(Number(value), 2_147_483_647);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}

function parseJson(text: string): UspeedoJson | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as UspeedoJson) : undefined;
  } catch {
    return undefined;
  }
}

const fail = (
  fields: Omit<UpstreamFailure, 'ok' | 'retCode' | 'httpStatus' | 'requestUuid' | 'retryAfterSeconds'> & Partial<UpstreamFailure>,
): UpstreamFailure => ({
  ok: false,
  retCode: null,
  httpStatus: null,
  requestUuid: null,
  retryAfterSeconds: null,
  ...fields,
});

/**
 * Classifies an exchange, row by row of the error table in docs/api.md: the wire's failures, then a 401 or
 * 403 or RetCode 215398 (credentials), any other non-2xx status, an answer without a numeric RetCode,
 * a non-zero RetCode. `redact` cleans uSpeedo's Message before it can reach a caller.
 */
export function readUpstream(exchange: UspeedoExchange, redact: (text: string) => string = (text) => text): UpstreamAnswer {
  switch (exchange.kind) {
    case 'not-sent':
      return fail({ code: 'UPSTREAM_UNAVAILABLE', kind: 'not-sent', message: `uSpeedo could not be reached (${exchange.cause}).` });
    case 'connection-lost':
      return fail({
        code: 'UPSTREAM_UNAVAILABLE',
        kind: 'connection-lost',
        message: `The connection to uSpeedo broke after the request was sent (${exchange.cause}).`,
        httpStatus: exchange.status,
        requestUuid: exchange.requestUuid,
      });
    case 'timeout':
      return fail({
        code: 'UPSTREAM_TIMEOUT',
        kind: 'timeout',
        message: 'uSpeedo did not answer in time.',
        httpStatus: exchange.status,
        requestUuid: exchange.requestUuid,
      });
    case 'too-large':
      return fail({
        code: 'INVALID_UPSTREAM_RESPONSE',
        kind: 'too-large',
        message: `uSpeedo's answer was too large to read (over ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB).`,
        httpStatus: exchange.status,
        requestUuid: exchange.requestUuid,
      });
    case 'answered':
      break;
  }
  const { status, body, requestUuid } = exchange;
  const json = parseJson(body);
  const retCode = typeof json?.RetCode === 'number' && Number.isInteger(json.RetCode) ? json.RetCode : null;
  const upstreamMessage = typeof json?.Message === 'string' && json.Message !== '' ? cleanUpstreamText(json.Message, redact) : null;
  const known = { retCode, httpStatus: status, requestUuid };

  if (status === 401 || status === 403 || retCode === RetCode.BAD_CREDENTIALS) {
    return fail({
      ...known,
      code: 'UPSTREAM_AUTH_FAILED',
      kind: 'auth',
      message: upstreamMessage ?? `uSpeedo refused this server's credentials (HTTP ${status}).`,
    });
  }
  if (status < 200 || status > 299) {
    return fail({
      ...known,
      code: 'UPSTREAM_HTTP_ERROR',
      kind: 'http',
      message: upstreamMessage ?? `uSpeedo answered HTTP ${status}.`,
      retryAfterSeconds: status === 429 ? retryAfterSeconds(exchange.retryAfter) : null,
    });
  }
  if (retCode === null || !json) {
    return fail({
      ...known,
      code: 'INVALID_UPSTREAM_RESPONSE',
      kind: 'unreadable',
      message: `uSpeedo's answer had no numeric RetCode${json ? '' : ' (not a JSON object)'}.`,
    });
  }
  if (retCode !== RetCode.SUCCESS) {
    return fail({
      ...known,
      code: RETCODE_ERRORS[retCode] ?? 'UPSTREAM_REJECTED',
      kind: 'retcode',
      message: upstreamMessage ?? `uSpeedo answered RetCode ${retCode}.`,
    });
  }
  return { ok: true, json, message: upstreamMessage, requestUuid, httpStatus: status };
}

/** Whether the failure tells of the request itself (it may have been processed), not only of uSpeedo's answer to it. */
export const mayHaveReachedUspeedo = (failure: UpstreamFailure): boolean =>
  failure.kind === 'connection-lost' || failure.kind === 'timeout' || failure.kind === 'too-large' || failure.kind === 'unreadable';

/** For a read, which can be repeated: the failures worth trying again (the network, a timeout, a 429, a 5xx, RetCode 215400). */
export const isTransient = (failure: UpstreamFailure): boolean =>
  failure.kind === 'not-sent' ||
  failure.kind === 'connection-lost' ||
  failure.kind === 'timeout' ||
  (failure.kind === 'http' && (failure.httpStatus === 429 || (failure.httpStatus ?? 0) >= 500)) ||
  failure.code === 'UPSTREAM_SERVER_ERROR';

/**
 * uSpeedo's "template not found" (RetCode 215396). It answers it for a whole template lookup when one
 * of its ids is unknown, without saying which.
 */
export const isTemplateNotFound = (failure: UpstreamFailure): boolean =>
  failure.kind === 'retcode' && failure.retCode === RetCode.TEMPLATE_NOT_FOUND;
