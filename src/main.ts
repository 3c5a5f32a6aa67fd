import './supported-node';
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { buildApp, SIMULATOR_WARNING } from './app';
import { ConfigError, loadConfig, type Config } from './config/load-config';

// Values already in the environment win over .env, as with dotenv.
function environment(): Record<string, string | undefined> {
  const fromFile = existsSync('.env') ? parseEnv(readFileSync('.env', 'utf8')) : {};
  return { ...fromFile, ...process.env };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(environment());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\nSee .env.example for every variable.\n`);
    process.exit(1);
  }

  const app = await buildApp(config);
  if (config.uspeedo.credentials === null) {
    // Also in plain text: a JSON log line is easy to miss in a terminal.
    process.stderr.write(`\n  *** ${SIMULATOR_WARNING} See the README for its magic values. ***\n\n`);
  }

  if (config.shutdownGraceMs < config.uspeedo.timeoutMs) {
    app.log.warn(
      { shutdownGraceMs: config.shutdownGraceMs, uspeedoTimeoutMs: config.uspeedo.timeoutMs },
      'SHUTDOWN_GRACE_MS is shorter than USPEEDO_TIMEOUT_MS: a shutdown may cut off a send before its answer',
    );
  }

  // Stop accepting, let in-flight requests (and so their sends) finish, close the store, exit 0. Only
  // past SHUTDOWN_GRACE_MS does the process give up on them, and then it says so and exits 1.
  let closing = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      app.log.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down: no new requests, finishing those in flight');
      const timer = setTimeout(() => {
        app.log.error({ graceMs: config.shutdownGraceMs }, 'shutdown grace period over: exiting with requests still in flight');
        process.exit(1);
      }, config.shutdownGraceMs);
      app.close().then(
        () => {
          clearTimeout(timer);
          app.log.info('shut down cleanly');
          process.exit(0);
        },
        (error: unknown) => {
          app.log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }

  await app.listen({ host: config.host, port: config.port });
}

main().catch((error: unknown) => {
  // Not a stack trace: a start-up failure here is almost always the port or the host.
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
