import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';

/** The tracer spans come from while tracing is on; undefined while it is off, when every helper here costs one check. */
let tracer: Tracer | undefined;

/** Turns this module's spans on (`startTracing`) or off again (its shutdown). */
export function useTracer(next: Tracer | undefined): void {
  tracer = next;
}

/** The tracer, while tracing is on: for parts that take one as an option (the uSpeedo client, the store). */
export const activeTracer = (): Tracer | undefined => tracer;

/** The span of what runs now, while tracing is on. */
export const currentSpan = (): Span | undefined => (tracer ? trace.getActiveSpan() : undefined);

/** Sets attributes on the span of what runs now; nothing while tracing is off. */
export function annotate(attributes: Attributes): void {
  if (tracer) trace.getActiveSpan()?.setAttributes(attributes);
}

/**
 * Marks a span failed with a fixed description, never an error's own message (it may carry a phone
 * number or upstream text); with `errorType`, also its `error.type`.
 */
export function failSpan(span: Span, description: string, errorType?: string): void {
  if (errorType !== undefined) span.setAttribute('error.type', errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, message: description });
}

/**
 * Runs `work` in a child span of the active one, named `name`, and ends it; `settle` reads its answer
 * onto it. A throw marks the span failed by the error's class name only. While tracing is off, `work` alone.
 */
export function inSpan<T>(
  name: string,
  attributes: Attributes,
  work: () => Promise<T>,
  settle?: (span: Span, answer: T) => void,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  if (!tracer) return work();
  const span = tracer.startSpan(name, { kind, attributes });
  const active = trace.setSpan(context.active(), span);
  return endWhenSettled(span, () => context.with(active, work), settle);
}

/**
 * Runs `work` and ends `span` when its promise settles, `settle` reading the answer onto it first; a
 * throw or rejection fails the span by the error's class name. Plain promise callbacks, not an async
 * wrapper: this runs several times a request.
 */
export function endWhenSettled<T>(span: Span, work: () => Promise<T>, settle?: (span: Span, answer: T) => void): Promise<T> {
  let pending: Promise<T>;
  try {
    pending = work();
  } catch (error) {
    endFailed(span, error);
    throw error;
  }
  return pending.then(
    (answer) => {
      settle?.(span, answer);
      span.end();
      return answer;
    },
    (error: unknown) => {
      endFailed(span, error);
      throw error;
    },
  );
}

/** Ends a span whose work threw, failed by the error's class name alone. */
function endFailed(span: Span, error: unknown): void {
  failSpan(span, error instanceof Error ? error.name : 'thrown');
  span.end();
}

/** `inSpan`, as the root of a trace of its own: for work no request asked for (a poll on a timer). */
export function inRootSpan<T>(
  name: string,
  attributes: Attributes,
  work: () => Promise<T>,
  settle?: (span: Span, answer: T) => void,
): Promise<T> {
  if (!tracer) return work();
  return context.with(ROOT_CONTEXT, () => inSpan(name, attributes, work, settle));
}

/** The active span's ids as OpenTelemetry's log data model names them, for every log line; none while tracing is off. */
export function traceIds(): { trace_id?: string; span_id?: string } {
  const span = tracer ? trace.getActiveSpan() : undefined;
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
