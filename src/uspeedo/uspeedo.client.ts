import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import ky, { type KyInstance, type Options } from 'ky';
import { Agent } from 'undici';
import { createUndiciFetch, type RawBodyInit } from './undici-fetch';
import { readUpstream, type UpstreamAnswer } from './upstream-answer';
import { MAX_RESPONSE_BYTES, REQUEST_UUID_HEADER } from './uspeedo.types';

/** uSpeedo access key pair; sent only as HTTP Basic credentials. */
interface UspeedoCredentials {
  accessKeyId: string;
  accessKeySecret: string;
}

/** Where and how to reach uSpeedo. */
export interface UspeedoClientOptions {
  baseUrl: string;
  timeoutMs: number;
  credentials: UspeedoCredentials;
  /** A Fetch API implementation; the built-in simulator is one. Defaults to one on undici.request. */
  fetch?: typeof globalThis.fetch;
  /** Makes each call an HTTP client span carrying its `traceparent` to uSpeedo; without one, no tracing is done at all. */
  tracer?: Tracer;
}

/** What happened on the wire, before any reading of uSpeedo's answer. */
export type UspeedoExchange =
  /** uSpeedo answered with a status and a whole body. */
  | { kind: 'answered'; status: number; body: string; requestUuid: string | null; retryAfter: string | null }
  /** No connection was made (refused, DNS, TLS): the request provably never reached uSpeedo. */
  | { kind: 'not-sent'; cause: string }
  /** The connection broke once the request may have been written: the SMS may have gone. */
  | { kind: 'connection-lost'; cause: string; status: number | null; requestUuid: string | null }
  /** No whole answer within the timeout: the SMS may have gone. */
  | { kind: 'timeout'; status: number | null; requestUuid: string | null }
  /** An answer larger than `MAX_RESPONSE_BYTES`, left unread. */
  | { kind: 'too-large'; status: number; requestUuid: string | null };

/** One call to uSpeedo's API. */
export interface UspeedoCall {
  method: 'GET' | 'POST';
  /** Below the base URL, without a leading slash, e.g. `api/v1/usms/SendBatchUSMSMessage`. */
  path: string;
  /** Query parameters; an array repeats the name (`id=S1&id=S2`), as uSpeedo's list lookups take them. */
  query?: Readonly<Record<string, string | readonly string[]>>;
  /** A JSON body, already stringified. */
  body?: string;
  /** This attempt's whole time (headers and body), when shorter than the client's: a retrying caller's budget left. */
  timeoutMs?: number;
  /** More request headers (the client span's `traceparent`). */
  headers?: Readonly<Record<string, string>>;
}

// Failures that happen before a single byte of the request can reach uSpeedo. Anything else that
// breaks a connection (a reset, a close) may come after uSpeedo read the request, so is not here.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
}

// Duck-typed rather than `instanceof Error`: fetch's errors may come from another realm (a vm
// context, a test runner's sandbox), where instanceof is false for a perfectly ordinary Error.
const asErrorLike = (value: unknown): ErrorLike | undefined => (typeof value === 'object' && value !== null ? value : undefined);

/** The first system error code in an error's cause chain (fetch wraps them as `TypeError: fetch failed`). */
function errorCode(error: unknown): string | undefined {
  let current = asErrorLike(error);
  for (let depth = 0; current && depth < 5; depth++) {
    if (typeof current.code === 'string') return current.code;
    current = asErrorLike(Array.isArray(current.errors) && current.errors.length > 0 ? current.errors[0] : current.cause);
  }
  return undefined;
}

const describeFailure = (error: unknown) => {
  const name = asErrorLike(error)?.name;
  return errorCode(error) ?? (typeof name === 'string' ? name : 'unknown');
};

const isTimeout = (error: unknown) => asErrorLike(error)?.name === 'TimeoutError';

function toSearchParams(query: NonNullable<UspeedoCall['query']>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const item of typeof value === 'string' ? [value] : value) params.append(name, item);
  }
  return params;
}

/** `readCapped`'s answer when the deadline came first. */
const TIMED_OUT = Symbol('timed out');

// The body as text; undefined when it is larger than the limit, TIMED_OUT when it is not whole within
// `remainingMs`. Whenever it stops before the end it calls `abort`, which must drop the connection: a
// cancelled reader alone leaves the socket open with the rest of the answer unread.
async function readCapped(
  response: Response,
  limit: number,
  remainingMs: number,
  abort: () => void,
): Promise<string | undefined | typeof TIMED_OUT> {
  if (Number(response.headers.get('content-length')) > limit) {
    abort();
    await response.body?.cancel().catch(() => {});
    return undefined;
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  let timedOut = false;
  const timer = setTimeout(
    () => {
      timedOut = true;
      abort();
      reader.cancel().catch(() => {});
    },
    Math.max(0, remainingMs),
  );
  try {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (timedOut) return TIMED_OUT;
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        abort();
        await reader.cancel().catch(() => {});
        return undefined;
      }
      chunks.push(value);
    }
    return new TextDecoder().decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  } catch (error) {
    abort();
    if (timedOut) return TIMED_OUT;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Shortest start of a secret (in any of its forms) that is redacted on its own. */
const SECRET_PREFIX = 8;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// `text`, or any start of it at least SECRET_PREFIX long: a nest of optional characters.
function prefixPattern(text: string): string {
  if (text.length <= SECRET_PREFIX) return escapeRegExp(text);
  const chars = Array.from(text);
  let tail = '';
  for (let i = chars.length - 1; i >= SECRET_PREFIX; i--) tail = `(?:${escapeRegExp(chars[i])}${tail})?`;
  return escapeRegExp(chars.slice(0, SECRET_PREFIX).join('')) + tail;
}

/**
 * One pattern for the credentials as an answer might echo them: the secret plain, URL-encoded (either
 * case of hex) and base64 (standard and URL-safe), the Basic value, `id:secret`; for each secret form
 * any start of it from SECRET_PREFIX characters on; the key id itself. Longest forms first.
 */
function secretsPattern(accessKeyId: string, accessKeySecret: string): RegExp {
  const pair = `${accessKeyId}:${accessKeySecret}`;
  const encoded = encodeURIComponent(accessKeySecret);
  const base64 = (text: string) => Buffer.from(text).toString('base64');
  const base64url = (text: string) => Buffer.from(text).toString('base64url');
  const secretForms = [
    accessKeySecret,
    encoded,
    encoded.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
    base64(accessKeySecret),
    base64url(accessKeySecret),
    base64(pair),
    base64url(pair),
    `Basic ${base64(pair)}`,
    pair,
    encodeURIComponent(pair),
  ];
  const alternatives = [...new Set(secretForms)]
    .filter((form) => form !== '')
    .sort((a, b) => b.length - a.length)
    .map(prefixPattern);
  if (accessKeyId !== '') alternatives.push(escapeRegExp(accessKeyId));
  return new RegExp(alternatives.join('|'), 'g');
}

/**
 * Reads a classified answer onto its client span: status, request id, RetCode. Anything but RetCode 0
 * fails it, named by the status (4xx, 5xx), the RetCode, or what happened on the wire.
 */
function settleClientSpan(span: Span, answer: UpstreamAnswer): void {
  if (answer.httpStatus !== null) span.setAttribute('http.response.status_code', answer.httpStatus);
  if (answer.requestUuid) span.setAttribute('uspeedo.request_uuid', answer.requestUuid);
  if (answer.ok) {
    span.setAttribute('uspeedo.ret_code', 0);
    return;
  }
  if (answer.retCode !== null) span.setAttribute('uspeedo.ret_code', answer.retCode);
  const failure =
    answer.httpStatus !== null && answer.httpStatus >= 400
      ? String(answer.httpStatus)
      : answer.retCode !== null
        ? `RetCode ${answer.retCode}`
        : answer.kind;
  span.setAttribute('error.type', failure);
  span.setStatus({ code: SpanStatusCode.ERROR, message: failure });
}

/** uSpeedo's API over HTTP: one exchange per call, exactly one attempt each; a caller that may retry (a read) does so itself. */
export class UspeedoClient {
  readonly #http: KyInstance;
  readonly #timeoutMs: number;
  readonly #agent: Agent | undefined;
  /** Everything of ours an answer must not echo back to a caller, in every form it might come back in. */
  readonly #secrets: RegExp;
  readonly #tracer: Tracer | undefined;
  /** uSpeedo's host, port and base path, for the client spans. */
  readonly #base: URL;
  /** Each call's path below the base, as its client span names it (a handful of fixed paths). */
  readonly #spanPaths = new Map<string, string>();

  constructor(options: UspeedoClientOptions) {
    const { accessKeyId, accessKeySecret } = options.credentials;
    const basic = Buffer.from(`${accessKeyId}:${accessKeySecret}`).toString('base64');
    this.#secrets = secretsPattern(accessKeyId, accessKeySecret);
    this.#timeoutMs = options.timeoutMs;
    this.#tracer = options.tracer;
    this.#base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.#agent = options.fetch ? undefined : new Agent({ keepAliveTimeout: 4_000 });
    this.#http = ky.create({
      prefixUrl: options.baseUrl,
      // A retried POST is a second SMS and a second bill.
      retry: 0,
      timeout: options.timeoutMs,
      throwHttpErrors: false,
      // A redirected POST would be re-sent somewhere else; treat it as the HTTP error it is.
      redirect: 'manual',
      headers: {
        accept: 'application/json',
        authorization: `Basic ${basic}`,
      },
      fetch: options.fetch ?? createUndiciFetch(this.#agent),
    });
  }

  /** `text` (uSpeedo's Message, say) without this client's credentials or its Basic header. */
  redact(text: string): string {
    return text.replace(this.#secrets, '[redacted]');
  }

  /**
   * Makes one call (`exchange`) and classifies what came back, once (`readUpstream`). While tracing,
   * inside an HTTP client span (a child of the active span; a read's retries are one each) whose
   * `traceparent` uSpeedo receives; it carries the method, host, path (never the query: it names
   * sessions and templates), status, `uspeedo.ret_code` and `uspeedo.request_uuid`.
   */
  async answer(call: UspeedoCall): Promise<UpstreamAnswer> {
    const redact = (text: string) => this.redact(text);
    const tracer = this.#tracer;
    if (!tracer) return readUpstream(await this.exchange(call), redact);
    let path = this.#spanPaths.get(call.path);
    if (path === undefined) this.#spanPaths.set(call.path, (path = new URL(call.path, this.#base).pathname));
    const span = tracer.startSpan(`${call.method} ${path}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': call.method,
        'server.address': this.#base.hostname,
        'server.port': Number(this.#base.port) || (this.#base.protocol === 'https:' ? 443 : 80),
        'url.path': path,
      },
    });
    // Our own traceparent, written here rather than by the propagator: it would add the caller's
    // tracestate, which is the caller's data and has no business at a third party.
    const { traceId, spanId, traceFlags } = span.spanContext();
    const headers: Record<string, string> = {
      ...call.headers,
      traceparent: `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`,
    };
    const answer = readUpstream(await this.exchange({ ...call, headers }), redact);
    settleClientSpan(span, answer);
    span.end();
    return answer;
  }

  /** Closes the kept-alive connections to uSpeedo, once no send is in flight. */
  async close(): Promise<void> {
    await this.#agent?.close();
  }

  /**
   * Makes one call and reports what happened on the wire: the timeout (headers and body), the cap on
   * the answer's size, the failure's kind and uSpeedo's request id are the same for every call.
   * Never throws, never retries.
   */
  async exchange(call: UspeedoCall): Promise<UspeedoExchange> {
    // ky's timeout ends at the response headers; what is left of it then bounds reading the body.
    // Our own transport takes the body and this abort beside the Request (see RawBodyInit): given to
    // ky as `signal`, ky would join it to its own with AbortSignal.any on every call (see
    // bench/README.md). Another fetch, such as the simulator, gets the body the standard way and
    // ky's signal.
    const started = performance.now();
    const timeout = Math.max(1, Math.min(call.timeoutMs ?? this.#timeoutMs, this.#timeoutMs));
    const controller = new AbortController();
    const abort = () => controller.abort();
    let response: Response;
    try {
      const { method, path, query, body, headers } = call;
      const options: Options & RawBodyInit = {
        method,
        timeout,
        headers: body === undefined ? { ...headers } : { 'content-type': 'application/json', ...headers },
      };
      if (query) options.searchParams = toSearchParams(query);
      if (this.#agent) Object.assign(options, { rawBody: body, abort: controller.signal });
      else options.body = body;
      response = await this.#http(path, options);
    } catch (error) {
      abort();
      if (isTimeout(error)) return { kind: 'timeout', status: null, requestUuid: null };
      const cause = describeFailure(error);
      if (NOT_SENT_CODES.has(cause)) return { kind: 'not-sent', cause };
      return { kind: 'connection-lost', cause, status: null, requestUuid: null };
    }

    const requestUuid = response.headers.get(REQUEST_UUID_HEADER);
    try {
      const body = await readCapped(response, MAX_RESPONSE_BYTES, timeout - (performance.now() - started), abort);
      if (body === TIMED_OUT) return { kind: 'timeout', status: response.status, requestUuid };
      if (body === undefined) return { kind: 'too-large', status: response.status, requestUuid };
      return { kind: 'answered', status: response.status, body, requestUuid, retryAfter: response.headers.get('retry-after') };
    } catch (error) {
      const cause = describeFailure(error);
      return { kind: 'connection-lost', cause, status: response.status, requestUuid };
    }
  }
}
