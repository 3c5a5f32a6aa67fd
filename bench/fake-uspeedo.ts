// The benchmark's uSpeedo: keep-alive, answers every POST at once with a valid success, counts them.
// GET /__count reports how many batches it received. Runs in its own process.
import { createServer } from 'node:http';

const SUCCESS = JSON.stringify({ RetCode: 0, Message: 'success', SessionNo: ['session_no_1'], FailedTargetPhones: [] });
let received = 0;

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received }));
    return;
  }
  req.resume();
  req.on('end', () => {
    received++;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(SUCCESS) }).end(SUCCESS);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
