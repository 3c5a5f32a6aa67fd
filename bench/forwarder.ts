// What a user would hand-write instead of this server (variants b and c): node:http, JSON.parse, build
// the upstream body, send it once, answer JSON. `ky` uses this server's ky settings on Node's own
// fetch, as a user would; `ky-undici` adds this server's own transport (ky on undici.request, the body
// beside the Request); `undici` uses undici.request alone, about the least a Node proxy can spend.
import { createServer } from 'node:http';
import ky, { type Options } from 'ky';
import { request as undiciRequest } from 'undici';
import { createUndiciFetch } from '../src/uspeedo/undici-fetch';

const client = process.argv[2] === 'undici' || process.argv[2] === 'ky-undici' ? process.argv[2] : 'ky';
const upstream = `${process.env.USPEEDO_BASE_URL}/api/v1/usms/SendBatchUSMSMessage`;
const receiptsUrl = `${process.env.USPEEDO_BASE_URL}/api/v1/usms/USMSSendReceipt`;
const authorization = `Basic ${Buffer.from('bench-id:bench-secret').toString('base64')}`;
const headers = { 'content-type': 'application/json', accept: 'application/json', authorization };
const http = ky.create({
  retry: 0,
  timeout: 10_000,
  throwHttpErrors: false,
  redirect: 'manual',
  headers,
  ...(client === 'ky-undici' ? { fetch: createUndiciFetch() } : {}),
});

interface Input {
  input: { taskContent: { templateId: string; senderId: string; target: { phone: string; templateParams?: string[] | null }[] }[] };
}

async function forward(body: string): Promise<string> {
  if (client === 'undici') {
    const response = await undiciRequest(upstream, { method: 'POST', headers, body });
    return response.body.text();
  }
  if (client === 'ky-undici') return (await http.post(upstream, { rawBody: body } as Options)).text();
  return (await http.post(upstream, { body })).text();
}

// The same lookup by hand: POST /status { sessionNos } → GET uSpeedo's receipts → the sessions' receipts.
async function status(body: string): Promise<string> {
  const { sessionNos } = JSON.parse(body) as { sessionNos: string[] };
  const query = new URLSearchParams(sessionNos.map((id) => ['id', id]));
  const url = `${receiptsUrl}?${query.toString()}`;
  const text = client === 'undici' ? await (await undiciRequest(url, { headers })).body.text() : await (await http.get(url)).text();
  const answer = JSON.parse(text) as { RetCode: number; Data: { SessionNo: string; ReceiptSet: unknown[] }[] };
  return JSON.stringify({
    ok: answer.RetCode === 0,
    sessions: answer.Data.map((d) => ({ sessionNo: d.SessionNo, receipts: d.ReceiptSet })),
  });
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', async () => {
    if (req.url === '/status') {
      try {
        res.writeHead(200, { 'content-type': 'application/json' }).end(await status(Buffer.concat(chunks).toString()));
      } catch (error) {
        res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) }));
      }
      return;
    }
    try {
      const { input } = JSON.parse(Buffer.concat(chunks).toString()) as Input;
      const body = JSON.stringify({
        TaskContent: input.taskContent.map((task) => ({
          TemplateId: task.templateId,
          SenderId: task.senderId,
          Target: task.target.map((t) =>
            t.templateParams?.length ? { Phone: t.phone, TemplateParams: t.templateParams } : { Phone: t.phone },
          ),
        })),
      });
      const answer = JSON.parse(await forward(body)) as { RetCode: number; SessionNo: string[] };
      const out = JSON.stringify({ ok: answer.RetCode === 0, sessionNos: answer.SessionNo });
      res.writeHead(200, { 'content-type': 'application/json' }).end(out);
    } catch (error) {
      res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) }));
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
