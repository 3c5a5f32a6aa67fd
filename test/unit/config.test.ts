import { ConfigError, loadConfig } from '../../src/config';

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
      host: '0.0.0.0',
      port: 4000,
      logLevel: 'info',
      corsOrigins: [],
      introspection: true,
      uspeedo: { baseUrl: 'https://api.uspeedo.com', timeoutMs: 10000, credentials: null },
      limits: {
        maxTargetsPerRequest: 1000,
        maxTasksPerRequest: 100,
        maxTemplateParamsPerTarget: 20,
        maxTemplateParamLength: 500,
        maxSenderIdLength: 11,
      },
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
    });
    expect(config).toMatchObject({
      isProduction: true,
      host: '127.0.0.1',
      port: 8080,
      logLevel: 'warn',
      corsOrigins: ['https://a.example.com', 'https://b.example.com:8443'],
      introspection: true,
      uspeedo: { baseUrl: 'http://127.0.0.1:9999', timeoutMs: 2500, credentials: { accessKeyId: 'id', accessKeySecret: 'secret' } },
      limits: { maxTargetsPerRequest: 10, maxTasksPerRequest: 2, maxTemplateParamsPerTarget: 0, maxTemplateParamLength: 50, maxSenderIdLength: 6 },
    });
  });

  it('treats any NODE_ENV but production as outside production', () => {
    expect(loadConfig({ NODE_ENV: 'staging' })).toMatchObject({ nodeEnv: 'staging', isProduction: false, introspection: true });
  });

  it('turns introspection off in production by default', () => {
    expect(loadConfig({ NODE_ENV: 'production', USPEEDO_SIMULATOR: 'true' }).introspection).toBe(false);
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
    expect(problemsOf({ NODE_ENV: 'production' }).map((p) => p.split(':')[0])).toEqual([
      'USPEEDO_ACCESS_KEY_ID',
      'USPEEDO_ACCESS_KEY_SECRET',
    ]);
  });

  it('runs production on the simulator only when told to', () => {
    expect(loadConfig({ NODE_ENV: 'production', USPEEDO_SIMULATOR: 'true' }).uspeedo.credentials).toBeNull();
  });

  it('forces the simulator even when credentials are set', () => {
    expect(loadConfig({ USPEEDO_SIMULATOR: 'true', USPEEDO_ACCESS_KEY_ID: 'a', USPEEDO_ACCESS_KEY_SECRET: 'b' }).uspeedo.credentials).toBeNull();
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
    expect(loadConfig({ GRAPHQL_INTROSPECTION: 'yes', NODE_ENV: 'production', USPEEDO_SIMULATOR: '1' }).introspection).toBe(true);
  });

  it('refuses credentials inside USPEEDO_BASE_URL', () => {
    expect(problemsOf({ USPEEDO_BASE_URL: 'https://user:pw@api.uspeedo.com' })).toEqual([
      'USPEEDO_BASE_URL: must be an http(s) URL without credentials, like https://api.uspeedo.com',
    ]);
  });
});
