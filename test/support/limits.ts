import type { RateLimitValues } from '../../src/guard/rate-limits';

/** Every abuse limit off (0) and every country allowed: a test turns on the ones it is about. */
export const NO_LIMITS: RateLimitValues = {
  callerPerMinute: 0,
  callerPerDay: 0,
  phonePerHour: 0,
  phonePerDay: 0,
  globalPerDay: 0,
  statusPerMinute: 0,
  templatesPerMinute: 0,
  allowedCountryCodes: [],
};
