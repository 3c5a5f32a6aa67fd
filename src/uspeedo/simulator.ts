import { randomUUID } from 'node:crypto';
import { REQUEST_UUID_HEADER, RetCode, USPEEDO_PATHS, type SendBatchUSMSMessageRequest } from './uspeedo.types';
import type { UspeedoRead } from './uspeedo-read';

/** Credentials the client sends when the simulator answers; they never leave the process. */
export const SIMULATOR_CREDENTIALS = Object.freeze({ accessKeyId: 'simulator', accessKeySecret: 'simulator' });
/** A base URL that cannot resolve, so a misrouted simulator request could never reach a real host. */
export const SIMULATOR_BASE_URL = 'http://uspeedo-simulator.invalid';

/** A phone whose last digits are these lands in `FailedTargetPhones`. */
const SIMULATED_FAILING_PHONE_SUFFIX = '0000';

const RETCODE_MESSAGES: Readonly<Record<number, string>> = {
  [RetCode.PARAMETER_ERROR]: 'Invalid parameter [TemplateId]',
  [RetCode.MISSING_PARAMETER]: 'Missing required parameter',
  [RetCode.BAD_CREDENTIALS]: 'Failed to parse access key',
  [RetCode.SERVER_ERROR]: 'Server error',
};

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', [REQUEST_UUID_HEADER]: `sim-${randomUUID()}`, ...headers },
  });

const networkError = (code: string) => new TypeError('fetch failed', { cause: Object.assign(new Error(`simulated ${code}`), { code }) });

function waitForAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    // The reason is the signal's DOMException (an Error), or whatever the caller aborted with.
    const fail = () => reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    if (signal.aborted) fail();
    signal.addEventListener('abort', fail, { once: true });
  });
}

/** The simulator's behaviour over time. */
export interface SimulatorOptions {
  /** How long after a send its receipts appear. */
  receiptDelaySeconds?: number;
  /** The clock, for tests. */
  now?: () => number;
  /** The declared reads it answers, each with its own `simulate` (the features' `reads`). */
  reads?: readonly UspeedoRead<unknown>[];
}

/** A phone ending so gets a FAILED receipt; one ending `22` stays UNKNOWN; any other is DELIVERED. */
const FAILED_RECEIPT_SUFFIX = '11';
const UNKNOWN_RECEIPT_SUFFIX = '22';

/** A session the simulator issued: when, and to whom. */
interface SimulatedSession {
  sentAt: number;
  phones: string[];
}

/** Sessions kept at most; the oldest are forgotten first. */
const MAX_SESSIONS = 100_000;

/**
 * A stand-in for uSpeedo, in process, as a Fetch API function: it routes by method and path, answers
 * with the spec's shapes and sends no SMS. It serves the send, receipts for the sessions it issued
 * (after `receiptDelaySeconds`), and each declared read given (templates among them). Anything else is
 * HTTP 404.
 */
export function createSimulatorFetch({
  receiptDelaySeconds = 5,
  now = Date.now,
  reads = [],
}: SimulatorOptions = {}): typeof globalThis.fetch {
  const sessions = new Map<string, SimulatedSession>();
  const declared = new Map(reads.map((read) => [`GET /${read.path}`, read]));
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const route = `${request.method} ${url.pathname}`;
    if (route === `POST /${USPEEDO_PATHS.sendBatch}`) {
      const response = await sendBatch(request, (sessionNo, phones) => {
        if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
        sessions.set(sessionNo, { sentAt: now(), phones });
      });
      return response;
    }
    if (route === `GET /${USPEEDO_PATHS.receipts}`) {
      return receipts(url.searchParams.getAll('id'), sessions, receiptDelaySeconds * 1000, now());
    }
    const read = declared.get(route);
    if (read) return json(200, read.simulate(url.searchParams));
    return json(404, { Message: `Simulated: no ${route}` });
  };
}

/** USMSSendReceipt: a session's receipts once the delay has passed, decided by each phone's last digits. */
function receipts(ids: string[], sessions: ReadonlyMap<string, SimulatedSession>, delayMs: number, now: number): Response {
  if (ids.length === 0) return json(200, { RetCode: RetCode.MISSING_PARAMETER, Message: 'Missing required parameter [id]' });
  const data = ids.flatMap((sessionNo) => {
    const session = sessions.get(sessionNo);
    if (!session) return [];
    const at = session.sentAt + delayMs;
    const ReceiptSet =
      now < at
        ? []
        : session.phones.map((phone) => {
            const [result, code, desc] = phone.endsWith(FAILED_RECEIPT_SUFFIX)
              ? ['Fail', 'UNDELIV', 'Undelivered (simulated)']
              : phone.endsWith(UNKNOWN_RECEIPT_SUFFIX)
                ? ['Unknow', '', 'No report from the carrier yet (simulated)']
                : ['Success', 'DELIVRD', 'Delivered (simulated)'];
            return {
              Phone: phone,
              CostCount: 1,
              ReceiptResult: result,
              ReceiptCode: code,
              ReceiptDesc: desc,
              ReceiptTime: Math.floor(at / 1000),
              CountryCode: /^\((\d+)\)/.exec(phone)?.[1] ?? '86',
            };
          });
    return [{ SessionNo: sessionNo, ReceiptSet }];
  });
  return json(200, { RetCode: RetCode.SUCCESS, Message: 'success', Data: data });
}

/**
 * SendBatchUSMSMessage. The first task whose `templateId` is a magic value decides the outcome of the
 * whole batch (see the simulator's table in docs/frontend.md): `RETCODE_<n>`, `HTTP_<status>`, `TIMEOUT`,
 * `UNAVAILABLE`, `CONNECTION_LOST`, `INVALID_RESPONSE`.
 */
async function sendBatch(request: Request, issued: (sessionNo: string, phones: string[]) => void): Promise<Response> {
  const body = (await request.json()) as SendBatchUSMSMessageRequest;
  const tasks = body.TaskContent;

  for (const { TemplateId: magic } of tasks) {
    const retCode = /^RETCODE_(\d+)$/.exec(magic);
    if (retCode) {
      const code = Number(retCode[1]);
      return json(200, { RetCode: code, Message: RETCODE_MESSAGES[code] ?? `Simulated RetCode ${code}` });
    }
    const http = /^HTTP_([1-5]\d\d)$/.exec(magic);
    if (http) {
      const status = Number(http[1]);
      return json(status, { Message: `Simulated HTTP ${status}` }, status === 429 ? { 'retry-after': '30' } : {});
    }
    if (magic === 'TIMEOUT') return waitForAbort(request.signal);
    if (magic === 'UNAVAILABLE') throw networkError('ECONNREFUSED');
    if (magic === 'CONNECTION_LOST') throw networkError('ECONNRESET');
    if (magic === 'INVALID_RESPONSE') {
      return new Response('<html><body>502 Bad Gateway</body></html>', { status: 200, headers: { 'content-type': 'text/html' } });
    }
  }

  const sessionNos: string[] = [];
  const failed: { Phone: string; TemplateParams: string[]; FailureReason: string }[] = [];
  for (const task of tasks) {
    const accepted: string[] = [];
    for (const target of task.Target) {
      if (target.Phone.endsWith(SIMULATED_FAILING_PHONE_SUFFIX)) {
        failed.push({
          Phone: target.Phone,
          TemplateParams: target.TemplateParams ?? [],
          FailureReason: 'phone in the black list (simulated)',
        });
      } else accepted.push(target.Phone);
    }
    if (accepted.length > 0) {
      const sessionNo = `sim-${randomUUID()}`;
      sessionNos.push(sessionNo);
      issued(sessionNo, accepted);
    }
  }
  return json(200, { RetCode: RetCode.SUCCESS, Message: 'success', SessionNo: sessionNos, FailedTargetPhones: failed });
}
