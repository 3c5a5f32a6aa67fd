import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app';
import { loadConfig } from '../../src/config/load-config';
import { useFakeUspeedo, type FakeUspeedo } from './fake-uspeedo';
import { clearOfWindowEnd, SEND_LIMITS_OFF } from './limits';

/** The uSpeedo secret every test server uses; no response or log line may ever contain it. */
export const TEST_SECRET = 'test-secret-Zq9!never-leak';
export const TEST_KEY_ID = 'test-key-id';
export const EXPECTED_AUTHORIZATION = `Basic ${Buffer.from(`${TEST_KEY_ID}:${TEST_SECRET}`).toString('base64')}`;

/** Collects every log line the server writes. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }

  get text(): string {
    return this.lines.join('\n');
  }
}

/** A running server on an ephemeral loopback port. */
export interface TestServer {
  url: string;
  app: FastifyInstance;
  logs: LogCapture;
  /** Every response body this server sent through `post`/`get`. */
  responses: string[];
  /** POSTs a GraphQL operation as JSON and returns the HTTP status and parsed body. */
  gql(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** Raw fetch against the server, recording the response body. */
  fetch(path: string, init?: RequestInit): Promise<{ status: number; headers: Headers; text: string }>;
  close(): Promise<void>;
}

const CALLER_VARIABLES = ['API_KEYS', 'JWT_JWKS_URL', 'JWT_PUBLIC_KEY', 'JWT_SECRET'];

/**
 * Starts the real app on a free loopback port: test credentials, a 2 s upstream timeout, in-memory
 * state, `env` on top (e.g. `USPEEDO_BASE_URL`). Real credentials harden the server, so a test that
 * configures no callers opts out of them (AUTH_DISABLED), one without METRICS_TOKEN opens /metrics
 * (METRICS_PUBLIC), and one outside production opens introspection, as development on the simulator
 * has it; the posture itself has tests of its own.
 */
export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  const openings: Record<string, string> = {};
  if (!CALLER_VARIABLES.some((name) => env[name]) && env.AUTH_DISABLED === undefined) openings.AUTH_DISABLED = 'true';
  if (!env.METRICS_TOKEN && env.METRICS_PUBLIC === undefined) openings.METRICS_PUBLIC = 'true';
  if (env.NODE_ENV !== 'production' && env.GRAPHQL_INTROSPECTION === undefined) openings.GRAPHQL_INTROSPECTION = 'true';
  const config = loadConfig({
    ...openings,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    USPEEDO_ACCESS_KEY_ID: TEST_KEY_ID,
    USPEEDO_ACCESS_KEY_SECRET: TEST_SECRET,
    USPEEDO_TIMEOUT_MS: '2000',
    // Each server its own state unless a test shares a file or a Redis on purpose.
    STATE_DB_PATH: ':memory:',
    ...SEND_LIMITS_OFF,
    ...env,
  });
  await clearOfWindowEnd(env);
  const logs = new LogCapture();
  const app = await buildApp(config, { logDestination: logs });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const responses: string[] = [];

  const raw: TestServer['fetch'] = async (path, init) => {
    const response = await fetch(`${url}${path}`, init);
    const text = await response.text();
    responses.push(text, JSON.stringify([...response.headers]));
    return { status: response.status, headers: response.headers, text };
  };

  return {
    url,
    app,
    logs,
    responses,
    fetch: raw,
    async gql(query, variables, headers = {}) {
      const { status, text } = await raw('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status, body: JSON.parse(text) };
    },
    close: () => app.close(),
  };
}

/** The example operation consumers generate types from, with every field of both union members. */
export const SEND_BATCH_SMS = readFileSync(join(__dirname, '../../examples/operations/send-batch-sms.graphql'), 'utf8');

/** A batch of one task with the given targets. */
export function batch(target: { phone: string; templateParams?: string[] | null }[], templateId = 'template_id_1', senderId = 'USpeedo') {
  return { input: { taskContent: [{ templateId, senderId, target }] } };
}

/** A test file's fake uSpeedo and the servers started against it, each closed after its test. */
export interface ServerPool {
  /** The file's fake uSpeedo; reset after each test. */
  readonly upstream: FakeUspeedo;
  /** Starts a server with the pool's defaults and `env` on top, against `base` (default: the fake). */
  serve(env?: Record<string, string>, base?: string): Promise<TestServer>;
}

/** Registers the jest hooks for a `ServerPool`; call at the top of a test file. */
export function serverPool(defaults: Record<string, string> = {}): ServerPool {
  const upstream = useFakeUspeedo();
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return {
    upstream,
    async serve(env = {}, base) {
      const server = await startServer({ USPEEDO_BASE_URL: base ?? upstream.url, ...defaults, ...env });
      servers.push(server);
      return server;
    },
  };
}
