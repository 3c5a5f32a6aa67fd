import { ConfigError, loadConfig, type Config } from '../../src/config/load-config';
import { API_KEYS } from '../support/tokens';

// The security posture follows the credentials, not NODE_ENV: every combination of NODE_ENV,
// credentials and callers, and what the server does with it.
const NODE_ENVS = [undefined, 'production', 'prod', 'development'] as const;
const UPSTREAMS = {
  credentials: { USPEEDO_ACCESS_KEY_ID: 'real-id', USPEEDO_ACCESS_KEY_SECRET: 'real-secret' },
  simulator: {},
} as const;
const CALLERS = { callers: { API_KEYS }, none: {}, 'AUTH_DISABLED=true': { AUTH_DISABLED: 'true' } } as const;

type Outcome = { starts: false; problems: RegExp[] } | { starts: true; hardened: boolean; open: boolean };

function expected(nodeEnv: (typeof NODE_ENVS)[number], upstream: keyof typeof UPSTREAMS, callers: keyof typeof CALLERS): Outcome {
  const production = nodeEnv === 'production';
  const live = upstream === 'credentials';
  const problems: RegExp[] = [];
  if (production && !live) {
    problems.push(
      /^USPEEDO_ACCESS_KEY_ID: is required in production \(set USPEEDO_SIMULATOR=true/,
      /^USPEEDO_ACCESS_KEY_SECRET: is required in production/,
    );
  }
  if ((production || live) && callers === 'none') problems.push(/^API_KEYS: callers are required .*AUTH_DISABLED=true/);
  if (problems.length > 0) return { starts: false, problems };
  return { starts: true, hardened: production || live, open: callers !== 'callers' };
}

const cases = NODE_ENVS.flatMap((nodeEnv) =>
  (Object.keys(UPSTREAMS) as (keyof typeof UPSTREAMS)[]).flatMap((upstream) =>
    (Object.keys(CALLERS) as (keyof typeof CALLERS)[]).map((callers) => [nodeEnv ?? 'unset', upstream, callers, nodeEnv] as const),
  ),
);

describe('security posture', () => {
  it.each(cases)('NODE_ENV %s, %s, %s', (_label, upstream, callers, nodeEnv) => {
    const env = { ...(nodeEnv ? { NODE_ENV: nodeEnv } : {}), ...UPSTREAMS[upstream], ...CALLERS[callers] };
    const outcome = expected(nodeEnv, upstream, callers);
    if (!outcome.starts) {
      let problems: readonly string[] = [];
      try {
        loadConfig(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        problems = (error as ConfigError).problems;
      }
      expect(problems).toHaveLength(outcome.problems.length);
      outcome.problems.forEach((pattern, i) => expect(problems[i]).toMatch(pattern));
      return;
    }
    const config: Config = loadConfig(env);
    expect({
      hardened: config.hardened,
      open: config.auth.open,
      introspection: config.introspection,
      metricsPublic: config.metricsPublic,
      live: config.uspeedo.credentials !== null,
    }).toEqual({
      hardened: outcome.hardened,
      open: outcome.open,
      introspection: !outcome.hardened,
      metricsPublic: !outcome.hardened,
      live: upstream === 'credentials',
    });
  });

  it('names both fixes when real credentials come without callers, whatever NODE_ENV says', () => {
    for (const NODE_ENV of ['prod', 'staging', 'test']) {
      expect(() => loadConfig({ NODE_ENV, ...UPSTREAMS.credentials })).toThrow(/API_KEYS.*JWT_JWKS_URL.*AUTH_DISABLED=true/s);
    }
  });

  it('opens introspection and /metrics on a hardened server only when asked', () => {
    const config = loadConfig({ ...UPSTREAMS.credentials, API_KEYS, GRAPHQL_INTROSPECTION: 'true', METRICS_PUBLIC: 'true' });
    expect({ hardened: config.hardened, introspection: config.introspection, metricsPublic: config.metricsPublic }).toEqual({
      hardened: true,
      introspection: true,
      metricsPublic: true,
    });
  });

  it('refuses METRICS_PUBLIC beside a METRICS_TOKEN', () => {
    expect(() => loadConfig({ METRICS_PUBLIC: 'true', METRICS_TOKEN: 'metrics-token-0123456789' })).toThrow(
      /METRICS_PUBLIC: cannot be true while METRICS_TOKEN is set/,
    );
  });

  it('treats credentials with USPEEDO_SIMULATOR=true as the simulator: nothing real to guard', () => {
    const config = loadConfig({ ...UPSTREAMS.credentials, USPEEDO_SIMULATOR: 'true' });
    expect({ hardened: config.hardened, open: config.auth.open, live: config.uspeedo.credentials !== null }).toEqual({
      hardened: false,
      open: true,
      live: false,
    });
  });
});
