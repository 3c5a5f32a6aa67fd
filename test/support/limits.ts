import type { RateLimitValues } from '../../src/guard/rate-limits';
import { VARIABLES, type Variable } from '../../src/config/variables';

// Derived from the variables table, so a new limit is switched off here without a line of its own.
const rateLimits = (Object.entries(VARIABLES) as [string, Variable][]).flatMap(([name, variable]) =>
  variable.config?.startsWith('rateLimits.') ? [{ name, key: variable.config.slice('rateLimits.'.length) }] : [],
);

/** The lookups' per-minute limits: the tests of lookups keep them; the sends' limits are the ones switched off. */
const LOOKUP_LIMITS = new Set(['statusPerMinute', 'templatesPerMinute']);

/** Every abuse limit off (0) and every country allowed: a test turns on the ones it is about. */
export const NO_LIMITS = Object.fromEntries(
  rateLimits.map(({ key }) => [key, key === 'allowedCountryCodes' ? [] : 0]),
) as unknown as RateLimitValues;

/**
 * The variables of the send's abuse limits, each `0`: test servers reuse a handful of numbers and send
 * many batches, and the limits have tests of their own.
 */
export const SEND_LIMITS_OFF: Readonly<Record<string, string>> = Object.fromEntries(
  rateLimits.filter(({ key }) => key !== 'allowedCountryCodes' && !LOOKUP_LIMITS.has(key)).map(({ name }) => [name, '0']),
);

/** What a test that counts against a limit needs left of the window it starts in. */
const WINDOW_LEFT_MS = 5_000;

/**
 * Waits, when `env` turns on an abuse limit, until the current minute has 5 s left: the limits' windows
 * are aligned to the clock (minute, hour, UTC day all end on a minute), so a test whose sends straddle
 * a window's end would see its count start again from zero halfway.
 */
export async function clearOfWindowEnd(env: Readonly<Record<string, string>>): Promise<void> {
  const counted = rateLimits.some(({ name, key }) => key !== 'allowedCountryCodes' && env[name] !== undefined && env[name] !== '0');
  const left = 60_000 - (Date.now() % 60_000);
  if (counted && left < WINDOW_LEFT_MS) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
