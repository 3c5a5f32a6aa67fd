// The benchmark's uSpeedo: keep-alive, answers every POST at once with a valid success, every receipt
// lookup with one receipt per session asked, and every template lookup with an approved template;
// counts them. GET / reports the counts. A batch whose template is `bench_seed_sessions` is answered
// with the 100 session numbers the status cell asks for, and one whose template is
// `bench_follow_sessions` with the subscription cell's (`follow-…`): those have no receipt until
// `POST /__deliver`, then one each; GET / also reports the GETs that asked for them (when, and how
// many sessions each) and when the first answered delivered. Runs in its own process.
import { createServer } from 'node:http';
import { RetCode, USPEEDO_PATHS } from '../src/uspeedo/uspeedo.types';
import { FOLLOW_SESSIONS, SEED_SESSIONS } from './seed-sessions';

const SUCCESS = JSON.stringify({ RetCode: RetCode.SUCCESS, Message: 'success', SessionNo: ['session_no_1'], FailedTargetPhones: [] });
const SEEDED = JSON.stringify({ RetCode: RetCode.SUCCESS, Message: 'success', SessionNo: SEED_SESSIONS, FailedTargetPhones: [] });
const FOLLOWED = JSON.stringify({ RetCode: RetCode.SUCCESS, Message: 'success', SessionNo: FOLLOW_SESSIONS, FailedTargetPhones: [] });
let received = 0;
let lookups = 0;
/** OTLP trace exports taken (POST /v1/traces), from the traced variant. */
let traceExports = 0;
/** The subscription cell: whether its sessions have their receipts, the GETs asking for them (when, how many sessions), and when one first answered them. */
let delivered = false;
const followGets: { at: number; sessions: number }[] = [];
let firstDeliveredAt: number | null = null;

const receipts = (ids: string[]) =>
  JSON.stringify({
    RetCode: RetCode.SUCCESS,
    Message: 'success',
    Data: ids.map((id) => ({
      SessionNo: id,
      ReceiptSet:
        id.startsWith('follow-') && !delivered
          ? []
          : [
              {
                Phone: '(86)13800138000',
                CostCount: 1,
                ReceiptResult: 'Success',
                ReceiptCode: 'DELIVRD',
                ReceiptDesc: 'ok',
                ReceiptTime: 1_764_000_000,
                CountryCode: '86',
              },
            ],
    })),
  });

// The preview's template: approved, one parameter, as the bench's batches send.
const template = (TemplateId: string) => ({ TemplateId, Purpose: 1, TemplateName: 'bench', Template: 'Your code is {1}.', Status: 2 });

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://fake');
  if (req.method === 'GET' && url.pathname === `/${USPEEDO_PATHS.receipts}`) {
    lookups++;
    const ids = url.searchParams.getAll('id');
    if (ids[0]?.startsWith('follow-')) {
      followGets.push({ at: Date.now(), sessions: ids.length });
      if (delivered) firstDeliveredAt ??= Date.now();
    }
    const body = receipts(ids);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    return;
  }
  if (req.method === 'GET' && url.pathname === `/${USPEEDO_PATHS.templates}`) {
    lookups++;
    const body = JSON.stringify({ RetCode: RetCode.SUCCESS, Message: 'success', Data: url.searchParams.getAll('id').map(template) });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    return;
  }
  if (req.method === 'GET') {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ received, lookups, traceExports, followGets, firstDeliveredAt }));
    return;
  }
  if (req.method === 'POST' && url.pathname === '/v1/traces') {
    // The traced variant's collector: takes every export, counts it, and is not a send.
    req.resume();
    req.on('end', () => {
      traceExports++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
    });
    return;
  }
  if (req.method === 'POST' && url.pathname === '/__deliver') {
    delivered = true;
    res.writeHead(204).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    received++;
    // The seeding batches are small (one chunk); the measured ones are not searched.
    const seed = chunks.length === 1 ? chunks[0] : null;
    const body = seed?.includes('bench_seed_sessions') ? SEEDED : seed?.includes('bench_follow_sessions') ? FOLLOWED : SUCCESS;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
