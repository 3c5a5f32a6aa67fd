import { SpanKind, trace, type Tracer } from '@opentelemetry/api';
import type { StateStore } from '../guard/state-store';
import { endWhenSettled } from './spans';

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
  'readiness',
  'getDocument',
  'putDocument',
  'expireDocuments',
  'deleteDocuments',
]);

/**
 * `store` with each call made inside a span (but SQLite's no-op replicate) a child span of the active one, `state_store <call>`, with the store's kind
 * (`db.system.name`: sqlite or redis) and the call (`db.operation.name`); never its arguments (keys
 * carry callers and phone numbers). A throw fails the span by the error's class name.
 */
export function tracedStore(store: StateStore, tracer: Tracer): StateStore {
  const system = store.kind.startsWith('redis') ? 'redis' : 'sqlite';
  // SQLite has no replicas: its replicate returns at once, and a span of it would cost more than it tells.
  const traced = system === 'sqlite' ? new Set([...TRACED].filter((call) => call !== 'replicate')) : TRACED;
  const wrappers = new Map<string | symbol, unknown>();
  return new Proxy(store, {
    get(target, property) {
      // Read from and called on the store itself: its private fields are not the proxy's.
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      let wrapper = wrappers.get(property);
      if (wrapper === undefined) wrappers.set(property, (wrapper = wrap(target, property, value as (...a: unknown[]) => Promise<unknown>)));
      return wrapper;
    },
  });

  function wrap(target: StateStore, property: string | symbol, value: (...a: unknown[]) => Promise<unknown>) {
    if (typeof property !== 'string' || !traced.has(property)) return value.bind(target);
    // A leaf: started under the active span, never made active itself (nothing runs below it). A call
    // outside any span (a campaign runner's idle look at the store, twice a second) is not traced: it
    // would be a trace of its own each time.
    return (...args: unknown[]) => {
      if (!trace.getActiveSpan()) return value.apply(target, args);
      const span = tracer.startSpan(`state_store ${property}`, {
        kind: system === 'redis' ? SpanKind.CLIENT : SpanKind.INTERNAL,
        attributes: { 'db.system.name': system, 'db.operation.name': property },
      });
      return endWhenSettled(span, () => value.apply(target, args));
    };
  }
}
