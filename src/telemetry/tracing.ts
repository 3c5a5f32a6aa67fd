import type { Attributes, MeterProvider } from '@opentelemetry/api';
import { Counter, type Registry } from 'prom-client';
import type { TracingConfig } from '../config/load-config';
import { useTracer } from './spans';

/** This server's instrumentation scope: every span it makes comes from this tracer. */
const TRACER_NAME = 'uspeedo-sms-graphql';

/** The SDK's own count of spans it finished processing; an `error.type` says it dropped them. */
const PROCESSED_SPANS = 'otel.sdk.processor.span.processed';

/**
 * Bytes one export request carries at most (as estimated by `spanBytes`), far below what collectors
 * take (the OpenTelemetry Collector's OTLP/HTTP receiver takes 20 MiB by default): a larger batch goes
 * out in several requests, so no batch is ever too large for the collector and lost whole.
 */
export const MAX_EXPORT_BYTES = 1024 * 1024;

/** A span's size in an export, over-estimated: its name, its attributes' keys and values, and room for ids, times and framing. */
export function spanBytes(span: { name: string; attributes: Attributes }): number {
  let bytes = 256 + span.name.length * 3;
  for (const [key, value] of Object.entries(span.attributes)) {
    bytes +=
      16 + key.length + (typeof value === 'string' ? value.length * 3 : Array.isArray(value) ? JSON.stringify(value).length * 3 : 16);
  }
  return bytes;
}

/** Splits spans, in order, into runs whose estimated size stays within `maxBytes` (a span larger alone is a run alone). */
export function splitByBytes<T extends { name: string; attributes: Attributes }>(spans: readonly T[], maxBytes: number): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let bytes = 0;
  for (const span of spans) {
    const size = spanBytes(span);
    if (run.length > 0 && bytes + size > maxBytes) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(span);
    bytes += size;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** Tracing, started: what the shutdown calls. */
export interface Tracing {
  /** Exports what is queued, within `timeoutMs`, and stops; spans made after it are not exported. */
  shutdown(timeoutMs: number): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing: the trace SDK (loaded only here, so that a server without tracing
 * never loads it), a parent-based sampler when configured, W3C trace context, context kept across
 * awaits, and a batch export over OTLP/HTTP whose queue is bounded. A span the queue has no room for,
 * or an export that fails, is counted in `sms_trace_spans_dropped_total`, never waited for.
 */
export async function startTracing(config: TracingConfig, registry: Registry): Promise<Tracing> {
  const api = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { ExportResultCode, W3CTraceContextPropagator } = await import('@opentelemetry/core');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  const sdk = await import('@opentelemetry/sdk-trace');
  const { OTLPTraceExporter } =
    config.protocol === 'http/json'
      ? await import('@opentelemetry/exporter-trace-otlp-http')
      : await import('@opentelemetry/exporter-trace-otlp-proto');

  const dropped = new Counter({
    name: 'sms_trace_spans_dropped_total',
    help: 'Spans not exported, by reason: queue_full (the export queue had no room), or the failed export error class.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const exported = new Counter({
    name: 'sms_trace_spans_exported_total',
    help: 'Spans the collector took.',
    registers: [registry],
  });
  // The batch processor reports its drops only as an OpenTelemetry metric; this takes that one counter
  // into Prometheus, beside the rest, and leaves every other SDK metric a no-op.
  const noop = api.createNoopMeter();
  const meter = Object.assign(Object.create(noop) as typeof noop, {
    createCounter: (name: string, options?: object) =>
      name === PROCESSED_SPANS
        ? {
            add: (count: number, attributes?: Attributes) => {
              const reason = attributes?.['error.type'];
              if (reason === undefined) exported.inc(count);
              else dropped.inc({ reason: String(reason) }, count);
            },
          }
        : noop.createCounter(name, options),
  });
  const meterProvider: MeterProvider = { getMeter: () => meter };

  const root =
    config.sampler.ratio >= 1
      ? new sdk.AlwaysOnSampler()
      : config.sampler.ratio <= 0
        ? new sdk.AlwaysOffSampler()
        : new sdk.TraceIdRatioBasedSampler(config.sampler.ratio);
  const otlp = new OTLPTraceExporter({ url: config.url, headers: config.headers, timeoutMillis: config.timeoutMs });
  // One export request is at most MAX_EXPORT_BYTES: a larger batch is sent in parts, one after another.
  const exporter: typeof otlp = Object.assign(Object.create(otlp) as typeof otlp, {
    export(spans: Parameters<typeof otlp.export>[0], done: Parameters<typeof otlp.export>[1]) {
      const runs = splitByBytes(spans, MAX_EXPORT_BYTES);
      const next = (i: number) => {
        if (i >= runs.length) return done({ code: ExportResultCode.SUCCESS });
        otlp.export(runs[i], (result) => (result.code === ExportResultCode.SUCCESS ? next(i + 1) : done(result)));
      };
      next(0);
    },
  });
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes(config.resource),
    // Values a caller chose (an operation name, a path) are cut here, whatever their length.
    spanLimits: { attributeValueLengthLimit: config.attributeValueLengthLimit },
    sampler: config.sampler.parentBased ? new sdk.ParentBasedSampler({ root }) : root,
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter, ...config.batch, selfObsMeterProvider: meterProvider })],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  api.context.setGlobalContextManager(contextManager);
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);
  useTracer(provider.getTracer(TRACER_NAME));

  return {
    async shutdown(timeoutMs) {
      useTracer(undefined);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, timeoutMs))));
      // Whatever the collector does, the shutdown ends on time; spans still queued then are lost.
      await Promise.race([provider.shutdown().catch(() => {}), late]);
      clearTimeout(timer);
      api.trace.disable();
      api.propagation.disable();
      api.context.disable();
    },
  };
}
