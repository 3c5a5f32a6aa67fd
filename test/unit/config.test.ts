import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, SERVICE_NAME } from '../../src/config/load-config';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('runs on the simulator with nothing set, with the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      nodeEnv: 'development',
      isProduction: false,
      hardened: false,
      host: '0.0.0.0',
      port: 4000,
      logLevel: 'info',
      campaigns: { draftTtlSeconds: 86_400, maxRecipients: 100_000, openPerCaller: 5, recipientsPerMinute: 30_000 },
      trustedDocuments: { path: null, mode: 'off' },
      corsOrigins: [],
      follow: { pollSeconds: 10, pollFailures: 3, maxSeconds: 1800, perCaller: 20 },
      introspection: true,
      uspeedo: { baseUrl: 'https://api.uspeedo.com', timeoutMs: 10000, lookupsInFlight: 8, credentials: null },
      limits: {
        maxTargetsPerRequest: 1000,
        maxTasksPerRequest: 100,
        maxTemplateParamsPerTarget: 20,
        maxTemplatesPerRequest: 20,
        maxTemplateParamLength: 500,
        maxSenderIdLength: 11,
      },
      auth: { apiKeys: new Map(), jwt: null, open: true },
      rateLimits: {
        callerPerMinute: 1000,
        callerPerDay: 10000,
        phonePerHour: 5,
        phonePerDay: 20,
        globalPerDay: 100000,
        statusPerMinute: 120,
        templatesPerMinute: 300,
        allowedCountryCodes: [],
      },
      idempotencyTtlSeconds: 86400,
      lookups: {
        retentionSeconds: 604800,
        statusCacheSeconds: 15,
        templateCacheSeconds: 300,
        templateCheck: false,
        simulatorReceiptDelaySeconds: 5,
      },
      state: {
        sqlitePath: './data/state.db',
        redis: null,
        redisAllowVolatile: false,
        redisMinReplicasAcks: 0,
        redisWaitForReplicas: false,
        redisWaitTimeoutMs: 500,
      },
      metricsToken: null,
      metricsPublic: true,
      shutdownGraceMs: 15000,
      requestTimeoutMs: 30000,
      tracing: null,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '8080',
      LOG_LEVEL: 'warn',
      CORS_ORIGINS: 'https://a.example.com, https://b.example.com:8443/',
      GRAPHQL_INTROSPECTION: 'true',
      USPEEDO_BASE_URL: 'http://127.0.0.1:9999/',
      USPEEDO_ACCESS_KEY_ID: 'id',
      USPEEDO_ACCESS_KEY_SECRET: 'secret',
      USPEEDO_TIMEOUT_MS: '2500',
      SMS_MAX_TARGETS_PER_REQUEST: '10',
      SMS_MAX_TASKS_PER_REQUEST: '2',
      SMS_MAX_TEMPLATE_PARAMS_PER_TARGET: '0',
      SMS_MAX_TEMPLATE_PARAM_LENGTH: '50',
      SMS_MAX_SENDER_ID_LENGTH: '6',
      API_KEYS: `ops:${'a'.repeat(64)}, web.app@x:${'B'.repeat(64)}`,
      RATE_LIMIT_CALLER_PER_MINUTE: '0',
      RATE_LIMIT_CALLER_PER_DAY: '7',
      RATE_LIMIT_PHONE_PER_HOUR: '1',
      RATE_LIMIT_PHONE_PER_DAY: '2',
      RATE_LIMIT_GLOBAL_PER_DAY: '3',
      ALLOWED_COUNTRY_CODES: '86, +852,86',
      IDEMPOTENCY_TTL_SECONDS: '60',
      STATE_DB_PATH: '/var/lib/sms/state.db',
      REDIS_URL: 'redis://127.0.0.1:6380/2',
      REQUEST_TIMEOUT_MS: '5000',
    });
    expect(config).toMatchObject({
      isProduction: true,
      hardened: true,
      metricsPublic: false,
      requestTimeoutMs: 5000,
      host: '127.0.0.1',
      port: 8080,
      logLevel: 'warn',
      corsOrigins: ['https://a.example.com', 'https://b.example.com:8443'],
      introspection: true,
      uspeedo: { baseUrl: 'http://127.0.0.1:9999', timeoutMs: 2500, credentials: { accessKeyId: 'id', accessKeySecret: 'secret' } },
      limits: {
        maxTargetsPerRequest: 10,
        maxTasksPerRequest: 2,
        maxTemplateParamsPerTarget: 0,
        maxTemplateParamLength: 50,
        maxSenderIdLength: 6,
      },
      auth: {
        apiKeys: new Map([
          ['a'.repeat(64), 'ops'],
          ['b'.repeat(64), 'web.app@x'],
        ]),
        jwt: null,
        open: false,
      },
      rateLimits: {
        callerPerMinute: 0,
        callerPerDay: 7,
        phonePerHour: 1,
        phonePerDay: 2,
        globalPerDay: 3,
        allowedCountryCodes: ['86', '852'],
      },
      idempotencyTtlSeconds: 60,
      state: {
        sqlitePath: '/var/lib/sms/state.db',
        redis: { kind: 'single', url: 'redis://127.0.0.1:6380/2' },
        redisAllowVolatile: false,
        redisMinReplicasAcks: 0,
        redisWaitForReplicas: false,
        redisWaitTimeoutMs: 500,
      },
    });
  });

  it('reads each way of checking JWTs, with issuer and audience', () => {
    const secret = 's'.repeat(32);
    expect(loadConfig({ JWT_SECRET: secret, JWT_ISSUER: 'https://id.example.com/', JWT_AUDIENCE: 'sms', JWT_MAX_AGE: '1h' }).auth).toEqual({
      apiKeys: new Map(),
      jwt: { key: { kind: 'secret', secret }, issuer: 'https://id.example.com/', audience: 'sms', maxAge: '1h' },
      open: false,
    });
    expect(loadConfig({ JWT_JWKS_URL: 'https://id.example.com/jwks.json' }).auth.jwt?.key).toEqual({
      kind: 'jwks',
      url: 'https://id.example.com/jwks.json',
    });
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(loadConfig({ JWT_PUBLIC_KEY: pem.replace(/\n/g, '\\n') }).auth.jwt?.key).toEqual({ kind: 'public-key', pem });
  });

  it('reports a bad JWT_MAX_AGE, REQUEST_TIMEOUT_MS and a JWT_MAX_AGE without JWTs', () => {
    expect(problemsOf({ JWT_SECRET: 's'.repeat(32), JWT_MAX_AGE: 'soon', REQUEST_TIMEOUT_MS: '10' })).toEqual([
      'JWT_MAX_AGE: must be a duration like 3600, 15m, 1h or 1d',
      'REQUEST_TIMEOUT_MS: must be a whole number from 100 to 600000',
    ]);
    expect(problemsOf({ JWT_MAX_AGE: '1h' })).toEqual(['JWT_MAX_AGE: only applies with JWT_JWKS_URL, JWT_PUBLIC_KEY or JWT_SECRET']);
  });

  it('reports every bad caller and limit variable, repeating no value', () => {
    const problems = problemsOf({
      API_KEYS: `ok:${'a'.repeat(64)},no-hash-here,dup:${'A'.repeat(64)}`,
      JWT_SECRET: 'short-secret',
      JWT_PUBLIC_KEY: 'not a pem',
      RATE_LIMIT_PHONE_PER_HOUR: '-1',
      ALLOWED_COUNTRY_CODES: '86,999',
      IDEMPOTENCY_TTL_SECONDS: '0',
      REDIS_URL: 'http://cache:6379',
    });
    expect(problems).toEqual([
      'API_KEYS: entry 2 must be callerId:sha256hex (callerId: letters, digits, . _ @ -; the hash: 64 hex digits)',
      'API_KEYS: entry 3 repeats the key hash of an earlier entry',
      'JWT_PUBLIC_KEY: must be an RSA, EC or Ed25519 public key in PEM (SPKI) form',
      'JWT_SECRET: must be at least 32 bytes (HS256)',
      'RATE_LIMIT_PHONE_PER_HOUR: must be a whole number from 0 to 1000000000',
      'ALLOWED_COUNTRY_CODES: entry 2 is not a country calling code like 86 or 852',
      'IDEMPOTENCY_TTL_SECONDS: must be a whole number from 1 to 2592000',
      'REDIS_URL: must be a URL like redis://127.0.0.1:6379',
      'JWT_PUBLIC_KEY, JWT_SECRET: set only one way to check JWT signatures',
    ]);
    expect(problems.join('\n')).not.toMatch(/short-secret|no-hash-here|cache/);
  });

  it('requires callers in production unless AUTH_DISABLED=true, and refuses AUTH_DISABLED beside callers', () => {
    const production = { NODE_ENV: 'production', USPEEDO_SIMULATOR: 'true' };
    expect(problemsOf(production)).toEqual([expect.stringMatching(/^API_KEYS: callers are required in production/)]);
    expect(loadConfig({ ...production, AUTH_DISABLED: 'true' }).auth.open).toBe(true);
    expect(loadConfig({ ...production, API_KEYS: `ops:${'a'.repeat(64)}` }).auth.open).toBe(false);
    expect(problemsOf({ AUTH_DISABLED: 'true', JWT_SECRET: 's'.repeat(32) })).toEqual([
      'AUTH_DISABLED: cannot be true while API_KEYS or a JWT_* key is set',
    ]);
    expect(problemsOf({ JWT_AUDIENCE: 'sms' })).toEqual(['JWT_AUDIENCE: only applies with JWT_JWKS_URL, JWT_PUBLIC_KEY or JWT_SECRET']);
  });

  it('turns tracing on with an OTLP endpoint or OTEL_TRACES_EXPORTER=otlp, reading the standard OTEL_* variables', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      url: 'http://collector:4318/v1/traces',
      attributeValueLengthLimit: 256,
      protocol: 'http/protobuf',
      headers: {},
      timeoutMs: 10000,
      resource: { 'service.name': 'uspeedo-sms-graphql' },
      sampler: { parentBased: true, ratio: 1 },
      batch: { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 5000, exportTimeoutMillis: 30000 },
    });
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).tracing?.url).toBe('http://localhost:4318/v1/traces');
    // The default service.name is this package's name.
    expect(SERVICE_NAME).toBe(JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')).name);
    const tracing = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://api.honeycomb.io/v1/traces',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-team=a,x-key=one',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-honeycomb-team=k%3D1',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attributes,deployment.environment.name=prod',
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_BSP_MAX_QUEUE_SIZE: '100',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '512',
    }).tracing;
    expect(tracing).toMatchObject({
      url: 'https://api.honeycomb.io/v1/traces',
      protocol: 'http/json',
      headers: { 'x-team': 'a', 'x-key': 'one', 'x-honeycomb-team': 'k=1' },
      timeoutMs: 2500,
      resource: { 'service.name': 'from-attributes', 'deployment.environment.name': 'prod' },
      sampler: { parentBased: false, ratio: 0.25 },
      batch: { maxQueueSize: 100, maxExportBatchSize: 100 },
    });
    expect(
      loadConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SERVICE_NAME: 'edge', OTEL_RESOURCE_ATTRIBUTES: 'service.name=x' }).tracing?.resource,
    ).toEqual({
      'service.name': 'edge',
    });
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER: 'parentbased_always_off' }).tracing?.sampler).toEqual({
      parentBased: true,
      ratio: 0,
    });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeNull();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }).tracing).toBeNull();
  });

  it('reports every bad OTEL_* variable at once, repeating no header', () => {
    const problems = problemsOf({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-key=secret-value-1,no-equals-secret-2',
      OTEL_TRACES_SAMPLER: 'sometimes',
      OTEL_TRACES_SAMPLER_ARG: '1.5',
      OTEL_TRACES_EXPORTER: 'zipkin',
    });
    expect(problems.map((problem) => problem.split(':')[0])).toEqual([
      'OTEL_TRACES_EXPORTER',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_EXPORTER_OTLP_HEADERS',
      'OTEL_TRACES_SAMPLER',
      'OTEL_TRACES_SAMPLER_ARG',
    ]);
    expect(problems).toContain('OTEL_EXPORTER_OTLP_HEADERS: entry 2 must be key=value (percent-encoded)');
    expect(problems.join('\n')).not.toMatch(/secret-value|no-equals/);
  });

  it('treats any NODE_ENV but production as outside production', () => {
    expect(loadConfig({ NODE_ENV: 'staging' })).toMatchObject({ nodeEnv: 'staging', isProduction: false, introspection: true });
  });

  it('turns introspection off in production by default', () => {
    expect(loadConfig({ NODE_ENV: 'production', USPEEDO_SIMULATOR: 'true', AUTH_DISABLED: 'true' }).introspection).toBe(false);
  });

  it('reports every bad variable at once, naming each and repeating no value', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      USPEEDO_TIMEOUT_MS: '-5',
      USPEEDO_BASE_URL: 'ftp://files.example.com',
      CORS_ORIGINS: 'https://ok.example.com,not an origin,https://x.example.com/path',
      GRAPHQL_INTROSPECTION: 'maybe',
      SMS_MAX_TARGETS_PER_REQUEST: '1001',
      SMS_MAX_SENDER_ID_LENGTH: '12',
      LOG_LEVEL: 'loud',
      USPEEDO_ACCESS_KEY_ID: 'only-the-id',
    });
    expect(problems.map((problem) => problem.split(':')[0])).toEqual([
      'PORT',
      'LOG_LEVEL',
      'CORS_ORIGINS',
      'CORS_ORIGINS',
      'GRAPHQL_INTROSPECTION',
      'USPEEDO_BASE_URL',
      'USPEEDO_TIMEOUT_MS',
      'SMS_MAX_TARGETS_PER_REQUEST',
      'SMS_MAX_SENDER_ID_LENGTH',
      'USPEEDO_ACCESS_KEY_SECRET',
    ]);
    expect(problems.join('\n')).not.toMatch(/eighty|only-the-id|loud|maybe|files\.example/);
    expect(problems).toContain('SMS_MAX_TARGETS_PER_REQUEST: must be a whole number from 1 to 1000');
  });

  it('refuses production without credentials, naming both variables', () => {
    expect(problemsOf({ NODE_ENV: 'production', AUTH_DISABLED: 'true' }).map((p) => p.split(':')[0])).toEqual([
      'USPEEDO_ACCESS_KEY_ID',
      'USPEEDO_ACCESS_KEY_SECRET',
    ]);
  });

  it('runs production on the simulator only when told to', () => {
    expect(loadConfig({ NODE_ENV: 'production', USPEEDO_SIMULATOR: 'true', AUTH_DISABLED: 'true' }).uspeedo.credentials).toBeNull();
  });

  it('forces the simulator even when credentials are set', () => {
    expect(
      loadConfig({ USPEEDO_SIMULATOR: 'true', USPEEDO_ACCESS_KEY_ID: 'a', USPEEDO_ACCESS_KEY_SECRET: 'b' }).uspeedo.credentials,
    ).toBeNull();
  });

  it('refuses USPEEDO_SIMULATOR=false without credentials', () => {
    expect(problemsOf({ USPEEDO_SIMULATOR: 'false' })).toHaveLength(2);
  });

  it('never puts the secret in a message', () => {
    const problems = problemsOf({ USPEEDO_ACCESS_KEY_SECRET: 'hunter2-very-secret', PORT: 'x' });
    expect(problems.join('\n')).not.toContain('hunter2');
    expect(problems.map((p) => p.split(':')[0])).toEqual(['PORT', 'USPEEDO_ACCESS_KEY_ID']);
  });

  it('reads blank values as unset and booleans in their usual spellings', () => {
    expect(loadConfig({ PORT: '', USPEEDO_ACCESS_KEY_ID: ' ', USPEEDO_ACCESS_KEY_SECRET: '' }).port).toBe(4000);
    expect(loadConfig({ GRAPHQL_INTROSPECTION: 'FALSE' }).introspection).toBe(false);
    expect(loadConfig({ GRAPHQL_INTROSPECTION: '0' }).introspection).toBe(false);
    expect(
      loadConfig({ GRAPHQL_INTROSPECTION: 'yes', NODE_ENV: 'production', USPEEDO_SIMULATOR: '1', AUTH_DISABLED: '1' }).introspection,
    ).toBe(true);
  });

  it('never skips an API_KEYS entry: an empty one is an error naming it, and so is a list that yields no key', () => {
    const live = { USPEEDO_ACCESS_KEY_ID: 'id', USPEEDO_ACCESS_KEY_SECRET: 'secret' };
    for (const keys of [',', ' , ', ',,,']) {
      const problems = problemsOf({ ...live, API_KEYS: keys });
      expect(problems).toContain('API_KEYS: entry 1 is empty (a stray comma?)');
      expect(problems).toContain('API_KEYS: is set but yields no key: give callerId:sha256hex entries, or unset it');
    }
    expect(problemsOf({ API_KEYS: `ops:${'a'.repeat(64)},` })).toEqual(['API_KEYS: entry 2 is empty (a stray comma?)']);
  });

  it('requires the trusted documents by default with a manifest on a hardened server, allows them elsewhere, and needs a manifest for a mode', () => {
    const live = { USPEEDO_ACCESS_KEY_ID: 'id', USPEEDO_ACCESS_KEY_SECRET: 'secret', AUTH_DISABLED: 'true' };
    expect(loadConfig({ ...live, TRUSTED_DOCUMENTS: 'docs.json' }).trustedDocuments).toEqual({ path: 'docs.json', mode: 'require' });
    expect(loadConfig({ TRUSTED_DOCUMENTS: 'docs.json' }).trustedDocuments).toEqual({ path: 'docs.json', mode: 'allow' });
    expect(loadConfig({ ...live }).trustedDocuments).toEqual({ path: null, mode: 'off' });
    expect(problemsOf({ TRUSTED_DOCUMENTS_MODE: 'require' })).toEqual([
      'TRUSTED_DOCUMENTS_MODE=require needs TRUSTED_DOCUMENTS: the manifest of the documents your apps run',
    ]);
  });

  it('bounds JWT age by default on a hardened server only', () => {
    const jwt = { JWT_SECRET: 's'.repeat(32) };
    const live = { USPEEDO_ACCESS_KEY_ID: 'id', USPEEDO_ACCESS_KEY_SECRET: 'secret' };
    expect(loadConfig({ ...jwt, ...live }).auth.jwt?.maxAge).toBe('1d');
    expect(loadConfig({ ...jwt, NODE_ENV: 'production', USPEEDO_SIMULATOR: 'true' }).auth.jwt?.maxAge).toBe('1d');
    expect(loadConfig({ ...jwt, ...live, JWT_MAX_AGE: '7d' }).auth.jwt?.maxAge).toBe('7d');
    expect(loadConfig(jwt).auth.jwt?.maxAge).toBeUndefined();
  });

  it('reads each Redis topology, with replica acks defaulting to 1 where there are replicas', () => {
    const state = (env: Record<string, string>) => loadConfig(env).state;
    expect(
      state({
        REDIS_SENTINELS: 'rediss://s1:26379,rediss://s2:26380',
        REDIS_SENTINEL_MASTER: 'sms',
        REDIS_PASSWORD: 'pw',
        REDIS_SENTINEL_PASSWORD: 'spw',
      }),
    ).toEqual({
      sqlitePath: './data/state.db',
      redis: {
        kind: 'sentinel',
        sentinels: [
          { host: 's1', port: 26379 },
          { host: 's2', port: 26380 },
        ],
        master: 'sms',
        auth: { tls: true, password: 'pw' },
        sentinelPassword: 'spw',
      },
      redisAllowVolatile: false,
      redisMinReplicasAcks: 1,
      redisWaitForReplicas: false,
      redisWaitTimeoutMs: 500,
    });
    expect(
      state({
        REDIS_CLUSTER_NODES: 'c1:7000,[::1]:7001',
        REDIS_USERNAME: 'sms',
        REDIS_MIN_REPLICAS_ACKS: '2',
        REDIS_WAIT_TIMEOUT_MS: '250',
      }),
    ).toMatchObject({
      redis: {
        kind: 'cluster',
        nodes: [
          { host: 'c1', port: 7000 },
          { host: '::1', port: 7001 },
        ],
        auth: { tls: false, username: 'sms' },
      },
      redisMinReplicasAcks: 2,
      redisWaitTimeoutMs: 250,
    });
    expect(state({ REDIS_URL: 'redis://r:6379', REDIS_MIN_REPLICAS_ACKS: '1' })).toMatchObject({ redisMinReplicasAcks: 1 });
  });

  it('refuses two ways to reach Redis, a Sentinel list without its master, and Redis settings without Redis, all at once', () => {
    expect(
      problemsOf({
        REDIS_URL: 'redis://r:6379',
        REDIS_CLUSTER_NODES: 'c1:7000,,c2',
        REDIS_SENTINELS: 'redis://s1:1,rediss://s2:2',
        REDIS_WAIT_TIMEOUT_MS: '5000',
      }),
    ).toEqual([
      'REDIS_SENTINELS: mixes redis:// and rediss:// entries: use TLS for all or none',
      'REDIS_CLUSTER_NODES: entry 2 is empty (a stray comma?)',
      'REDIS_CLUSTER_NODES: entry 3 must be host:port (or rediss://host:port), without credentials',
      'REDIS_WAIT_TIMEOUT_MS: must be a whole number from 10 to 1500',
      'REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES: set exactly one way to reach Redis',
      "REDIS_SENTINEL_MASTER: is required with REDIS_SENTINELS (the primary's name in Sentinel)",
    ]);
    expect(problemsOf({ REDIS_SENTINEL_MASTER: 'sms', REDIS_PASSWORD: 'secret-pw', REDIS_MIN_REPLICAS_ACKS: '1' })).toEqual([
      'REDIS_SENTINEL_MASTER: only applies with REDIS_SENTINELS',
      'REDIS_PASSWORD: only applies with REDIS_SENTINELS or REDIS_CLUSTER_NODES (REDIS_URL carries its own credentials)',
      'REDIS_MIN_REPLICAS_ACKS: only applies with REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES',
    ]);
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'redis://user:secret-pw@c1:7000' }).join('\n')).not.toContain('secret-pw');
  });

  it('refuses credentials inside USPEEDO_BASE_URL', () => {
    expect(problemsOf({ USPEEDO_BASE_URL: 'https://user:pw@api.uspeedo.com' })).toEqual([
      'USPEEDO_BASE_URL: must be an http(s) URL without credentials, like https://api.uspeedo.com',
    ]);
  });
});
