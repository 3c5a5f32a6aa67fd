import type { Attributes, MeterProvider } from '@opentelemetry/api';
import { Counter, type Registry } from 'prom-client';
import type { TracingConfig } from '../config/load-config';
import { useTracer } from './spans';

/** This server's instrumentation scope: every span it makes comes from this tracer. */
const TRACER_NAME = 'uspeedo-sms-graphql';

/** The SDK's own count of spans it finished processing; an `error.type` says it dropped them. */
const PROCESSED_SPANS = 'otel.sdk.processor.span.processed';

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
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
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
  const exporter = new OTLPTraceExporter({ url: config.url, headers: config.headers, timeoutMillis: config.timeoutMs });
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes(config.resource),
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
