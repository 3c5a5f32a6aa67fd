import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/load-config';
import type { EventSource, GraphQLContext } from '../graphql/context';
import type { OpenCounts } from '../guard/open-counts';
import type { RateLimiter } from '../guard/rate-limits';
import type { StateStore } from '../guard/state-store';
import type { UspeedoApi } from '../uspeedo/uspeedo.api';
import type { UspeedoRead } from '../uspeedo/uspeedo-read';
import type { DeliveryStatusService } from './lookups/delivery-status.service';
import type { LookupNames, LookupRefusals } from './lookups/lookup-refusals';
import type { TemplatesService } from './lookups/templates.service';
import type { SentSessions } from './sessions/sent-sessions';
import type { SmsMetrics } from './shared/sms.metrics';

/** What every feature is built from: the parts the server shares. */
export interface SharedParts {
  config: Config;
  store: StateStore;
  uspeedo: UspeedoApi;
  rateLimiter: RateLimiter;
  sessions: SentSessions;
  metrics: SmsMetrics;
  log: FastifyBaseLogger;
  /** A lookup's refusals (ids, its per-minute limit, failures), logged and counted under its names. */
  refusalsFor: (names: LookupNames) => LookupRefusals;
}

/** Services a feature builds for the features after it in the list. */
export interface FeatureServices {
  templates?: TemplatesService;
  deliveryStatus?: DeliveryStatusService;
  /** Each caller's open subscriptions, of every kind: SUBSCRIPTIONS_PER_CALLER bounds them together. */
  subscriptionSlots?: OpenCounts;
}

/** A resolver class of type-graphql's. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type ResolverClass = Function;

/** A root field's rules beyond its type: `once` says what to do instead of asking twice in one operation. */
interface RootFieldPolicy {
  once?: string;
}

/** A feature, built. */
export interface BuiltFeature {
  /** Its resolver classes' instances. */
  resolvers: readonly (readonly [ResolverClass, object])[];
  /** What it offers the features after it. */
  services?: FeatureServices;
  /** Its subscriptions' event sources, by field. */
  subscriptions?: Readonly<Record<string, EventSource>>;
  /**
   * Root fields (query or mutation) that take their arguments as GraphQL coerced them, by field: for an
   * input of a thousand targets, type-graphql's copy of each into a class instance is a tenth of the
   * request's CPU (bench/README.md).
   */
  coercedArgs?: Readonly<Record<string, (args: Record<string, unknown>, context: GraphQLContext) => unknown>>;
  /** Runs when the server starts closing, before it waits for its connections. */
  close?: () => Promise<void>;
}

/**
 * One feature of `src/sms/`: its resolvers, its root fields' policies, and how it is built from the
 * shared parts and the services of the features before it. The feature list (`features.ts`) is what
 * the schema, the operation limits and the app iterate.
 */
export interface SmsFeature {
  name: string;
  resolvers: readonly ResolverClass[];
  rootFields?: Readonly<Record<string, RootFieldPolicy>>;
  /** The uSpeedo reads it declares (`UspeedoRead`, made with `UspeedoApi.read`): the simulator answers them. */
  reads?: readonly UspeedoRead<unknown>[];
  build(parts: SharedParts, services: FeatureServices): BuiltFeature;
}

/** A service an earlier feature must have built. */
export function needs<K extends keyof FeatureServices>(
  services: FeatureServices,
  name: K,
  feature: string,
): NonNullable<FeatureServices[K]> {
  const service = services[name];
  if (!service) throw new Error(`the ${feature} feature needs ${name}, built by a feature before it in features.ts`);
  return service;
}
