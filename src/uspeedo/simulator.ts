import { randomUUID } from 'node:crypto';
import { USPEEDO_PATHS, type SendBatchUSMSMessageRequest } from './uspeedo.types';

/** Credentials the client sends when the simulator answers; they never leave the process. */
export const SIMULATOR_CREDENTIALS = Object.freeze({ accessKeyId: 'simulator', accessKeySecret: 'simulator' });
/** A base URL that cannot resolve, so a misrouted simulator request could never reach a real host. */
export const SIMULATOR_BASE_URL = 'http://uspeedo-simulator.invalid';

/** A phone whose last digits are these lands in `FailedTargetPhones`. */
const SIMULATED_FAILING_PHONE_SUFFIX = '0000';

const RETCODE_MESSAGES: Readonly<Record<number, string>> = {
  215392: 'Invalid parameter [TemplateId]',
  215397: 'Missing required parameter',
  215398: 'Failed to parse access key',
  215400: 'Server error',
};

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'x-speedo-request-uuid': `sim-${randomUUID()}`, ...headers },
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

/**
 * A stand-in for uSpeedo, in process, as a Fetch API function: it routes by method and path, answers
 * with the spec's shapes and sends no SMS. Anything it does not know is HTTP 404.
 */
export function createSimulatorFetch(): typeof globalThis.fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const route = `${request.method} ${new URL(request.url).pathname}`;
    if (route === `POST /${USPEEDO_PATHS.sendBatch}`) return sendBatch(request);
    return json(404, { Message: `Simulated: no ${route}` });
  };
}

/**
 * SendBatchUSMSMessage. The first task whose `templateId` is a magic value decides the outcome of the
 * whole batch (see the README's simulator table): `RETCODE_<n>`, `HTTP_<status>`, `TIMEOUT`,
 * `UNAVAILABLE`, `CONNECTION_LOST`, `INVALID_RESPONSE`.
 */
async function sendBatch(request: Request): Promise<Response> {
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
    let accepted = 0;
    for (const target of task.Target) {
      if (target.Phone.endsWith(SIMULATED_FAILING_PHONE_SUFFIX)) {
        failed.push({
          Phone: target.Phone,
          TemplateParams: target.TemplateParams ?? [],
          FailureReason: 'phone in the black list (simulated)',
        });
      } else accepted++;
    }
    if (accepted > 0) sessionNos.push(`sim-${randomUUID()}`);
  }
  return json(200, { RetCode: 0, Message: 'success', SessionNo: sessionNos, FailedTargetPhones: failed });
}
