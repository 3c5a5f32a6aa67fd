import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { freePort } from './ports';

/** One request the fake received, exactly as it arrived. */
export interface RecordedCall {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** How the fake answers one request. */
export interface FakeReply {
  status?: number;
  /** A string is sent as is; anything else as JSON. Default: a RetCode 0 success. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
  /**
   * Misbehave: `reset` the connection once the request is read, `close` it without a word, send the
   * headers and half the body then reset (`reset-mid-body`), or `drip` the body a byte every `delayMs`.
   */
  fault?: 'reset' | 'close' | 'reset-mid-body' | 'drip';
}

export const DEFAULT_SUCCESS = {
  RetCode: 0,
  Message: 'success',
  SessionNo: ['session_no_1'],
  FailedTargetPhones: [],
};

export const FAKE_REQUEST_UUID = 'fake-request-uuid-0001';

/** A template as uSpeedo's lookup answers it; `Status` 2 is approved. */
export const uspeedoTemplate = (TemplateId: string, Template: string, Status = 2) => ({
  TemplateId,
  Purpose: 1,
  TemplateName: 'n',
  Template,
  Status,
  CreateTime: 1,
});

/** One delivery receipt as uSpeedo's receipt lookup answers it; `ReceiptResult` Success, Fail, Unknow or SubmitFail. */
export const uspeedoReceipt = (Phone: string, ReceiptResult = 'Success') => ({
  Phone,
  CostCount: 1,
  ReceiptResult,
  ReceiptCode: 'DELIVRD',
  ReceiptDesc: 'ok',
  ReceiptTime: 1_764_000_000,
  CountryCode: '86',
  BrevityCode: 'CN',
  UserId: 'u',
});

// Unref'd: a delayed reply still pending when the tests end must not keep Jest's process alive.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

type Replier = FakeReply | ((call: RecordedCall) => FakeReply);

/**
 * A stand-in for uSpeedo: a real HTTP server on 127.0.0.1 that records every request. It answers by
 * method and path (`route`), and anything without a route of its own as `reply` says.
 */
export class FakeUspeedo {
  readonly calls: RecordedCall[] = [];
  #next: Replier = {};
  readonly #routes = new Map<string, Replier>();
  readonly #sockets = new Set<Socket>();

  readonly #server: Server;
  #url: string | undefined;

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const call = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
        this.calls.push(call);
        void this.#answer(call, res);
      });
    });
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** Starts a fake on a free loopback port. */
  static async start(): Promise<FakeUspeedo> {
    return new FakeUspeedo().listen();
  }

  /** Listens on a free loopback port. */
  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** Its base URL, once listening. */
  get url(): string {
    if (!this.#url) throw new Error('the fake uSpeedo is not listening yet (it starts in beforeAll)');
    return this.#url;
  }

  /** Sets how every following request without a route of its own is answered. */
  reply(next: Replier): this {
    this.#next = next;
    return this;
  }

  /** Sets how requests with this method and path (without the query) are answered, e.g. `route('GET', '/api/v1/usms/USMSTemplate', …)`. */
  route(method: string, path: string, next: Replier): this {
    this.#routes.set(`${method} ${path}`, next);
    return this;
  }

  /** Forgets recorded calls and routes, and goes back to answering with a plain success. */
  reset(): void {
    this.calls.length = 0;
    this.#next = {};
    this.#routes.clear();
  }

  /** The body of the only call received; fails when there was not exactly one. */
  onlyCall(): RecordedCall {
    if (this.calls.length !== 1) throw new Error(`expected exactly one upstream call, got ${this.calls.length}`);
    return this.calls[0];
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #answer(call: RecordedCall, res: ServerResponse): Promise<void> {
    const next = this.#routes.get(`${call.method} ${call.path.split('?', 1)[0]}`) ?? this.#next;
    const reply = typeof next === 'function' ? next(call) : next;
    if (reply.delayMs && reply.fault !== 'drip') await sleep(reply.delayMs);
    if (res.destroyed) return;
    if (reply.fault === 'reset') return void res.socket?.resetAndDestroy();
    if (reply.fault === 'close') return void res.socket?.destroy();

    const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? DEFAULT_SUCCESS);
    const bytes = Buffer.from(body);
    // A reply that asks for chunked transfer gets no length, so the client cannot know the size up front.
    const chunked = reply.headers?.['transfer-encoding'] === 'chunked';
    res.writeHead(reply.status ?? 200, {
      'content-type': 'application/json',
      ...(chunked ? {} : { 'content-length': String(bytes.length) }),
      'x-speedo-request-uuid': FAKE_REQUEST_UUID,
      ...reply.headers,
    });
    if (reply.fault === 'reset-mid-body') {
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
      await sleep(20);
      return void res.socket?.resetAndDestroy();
    }
    if (reply.fault === 'drip') {
      for (const byte of bytes) {
        if (res.destroyed) return;
        res.write(Buffer.from([byte]));
        await sleep(reply.delayMs ?? 50);
      }
    }
    res.end(reply.fault === 'drip' ? undefined : bytes);
  }
}

/**
 * A test file's fake uSpeedo: listening before its first test (before the file's other beforeAll
 * hooks, when called at the top), reset after each test, closed after the last.
 */
export function useFakeUspeedo(): FakeUspeedo {
  const fake = new FakeUspeedo();
  beforeAll(() => fake.listen());
  afterEach(() => fake.reset());
  afterAll(() => fake.close());
  return fake;
}

/** A loopback port that was free a moment ago and is now closed: connecting to it is refused. */
export async function closedPortUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

/**
 * A host name that fails to resolve inside this machine's resolver library, before any DNS packet is
 * sent: a label longer than DNS's 63-byte limit. Tests must not send traffic off the machine.
 */
export const UNRESOLVABLE_URL = `http://${'x'.repeat(64)}.invalid`;
