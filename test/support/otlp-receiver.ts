import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import protobuf from 'protobufjs';

// A real OTLP/HTTP trace receiver, as a collector is: POST /v1/traces, protobuf decoded with
// OpenTelemetry's own .proto files (otlp-proto/, from open-telemetry/opentelemetry-proto), and the
// JSON encoding too. It keeps every body as it came, for the "nothing private" greps.

/** One exported span, flattened: ids in hex, attributes as plain values. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, unknown>;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  resource: Record<string, unknown>;
  scope: string;
}

/** How the receiver answers: as a collector should, refusing (503), or never. */
export type ReceiverMode = 'ok' | 'refuse' | 'hang';

const PROTO_ROOT = join(__dirname, 'otlp-proto');
let requestType: protobuf.Type | undefined;

function exportRequestType(): protobuf.Type {
  if (requestType) return requestType;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(PROTO_ROOT, target);
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', { keepCase: false });
  requestType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  return requestType;
}

type AnyValue = Record<string, unknown>;
const hex = (id: unknown): string => (typeof id === 'string' ? id : id ? Buffer.from(id as Uint8Array).toString('hex') : '');

function plainValue(value: AnyValue | undefined): unknown {
  if (!value) return undefined;
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return Number(value.doubleValue);
  if ('arrayValue' in value) return ((value.arrayValue as { values?: AnyValue[] }).values ?? []).map(plainValue);
  return JSON.stringify(value);
}

const attributesOf = (list: { key: string; value?: AnyValue }[] | undefined) =>
  Object.fromEntries((list ?? []).map(({ key, value }) => [key, plainValue(value)]));

interface ExportRequest {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value?: AnyValue }[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: {
        traceId: unknown;
        spanId: unknown;
        parentSpanId?: unknown;
        name: string;
        kind?: number;
        attributes?: { key: string; value?: AnyValue }[];
        status?: { code?: number; message?: string };
      }[];
    }[];
  }[];
}

function flatten(request: ExportRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((rs) => {
    const resource = attributesOf(rs.resource?.attributes);
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((span) => ({
        traceId: hex(span.traceId),
        spanId: hex(span.spanId),
        parentSpanId: hex(span.parentSpanId),
        name: span.name,
        kind: span.kind ?? 0,
        attributes: attributesOf(span.attributes),
        status: { code: span.status?.code ?? 0, message: span.status?.message ?? '' },
        resource,
        scope: ss.scope?.name ?? '',
      })),
    );
  });
}

/** A running receiver. */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Every export as it arrived (protobuf bytes read as latin1, or the JSON text) and its decoded JSON. */
  readonly bodies: string[] = [];
  readonly contentTypes: string[] = [];
  /** Headers each export came with. */
  readonly headers: Record<string, string | string[] | undefined>[] = [];
  mode: ReceiverMode = 'ok';
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<OtlpReceiver> {
    let receiver: OtlpReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => receiver!.take(req.url ?? '', req.headers, Buffer.concat(chunks), res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new OtlpReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return receiver;
  }

  private take(path: string, headers: Record<string, string | string[] | undefined>, body: Buffer, res: ServerResponse): void {
    if (this.mode === 'hang') return;
    if (this.mode === 'refuse') {
      res.writeHead(503).end();
      return;
    }
    if (path !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    const type = String(headers['content-type'] ?? '');
    this.contentTypes.push(type);
    this.headers.push(headers);
    let request: ExportRequest;
    if (type.startsWith('application/json')) {
      request = JSON.parse(body.toString('utf8')) as ExportRequest;
      this.bodies.push(body.toString('utf8'));
    } else {
      const messageType = exportRequestType();
      request = messageType.toObject(messageType.decode(body), { longs: String, enums: Number, bytes: Buffer });
      this.bodies.push(body.toString('latin1'), JSON.stringify(request));
    }
    this.spans.push(...flatten(request));
    if (type.startsWith('application/json')) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  }

  /** Every span of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.traceId === traceId);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
