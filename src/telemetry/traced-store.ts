import { SpanKind, type Tracer } from '@opentelemetry/api';
import type { StateStore } from '../guard/state-store';
import { failSpan } from './spans';

/** The calls that touch the store, each a span; `kind` and the rest pass through untraced. */
const TRACED: ReadonlySet<string> = new Set<keyof StateStore>([
  'charge',
  'peek',
  'refund',
  'claim',
  'complete',
  'recordSessions',
  'knownSessions',
  'release',
  'replicate',
  'ping',
]);

/**
 * `store` with each call a child span of the active one, `state_store <call>`, with the store's kind
 * (`db.system.name`: sqlite or redis) and the call (`db.operation.name`); never its arguments (keys
 * carry callers and phone numbers). A throw fails the span by the error's class name.
 */
export function tracedStore(store: StateStore, tracer: Tracer): StateStore {
  const system = store.kind.startsWith('redis') ? 'redis' : 'sqlite';
  return new Proxy(store, {
    get(target, property) {
      // Read from and called on the store itself: its private fields are not the proxy's.
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      if (typeof property !== 'string' || !TRACED.has(property)) return (value as (...a: unknown[]) => unknown).bind(target);
      return (...args: unknown[]) =>
        tracer.startActiveSpan(
          `state_store ${property}`,
          {
            kind: system === 'redis' ? SpanKind.CLIENT : SpanKind.INTERNAL,
            attributes: { 'db.system.name': system, 'db.operation.name': property },
          },
          async (span) => {
            try {
              return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            } catch (error) {
              failSpan(span, error instanceof Error ? error.name : 'thrown');
              throw error;
            } finally {
              span.end();
            }
          },
        );
    },
  });
}
