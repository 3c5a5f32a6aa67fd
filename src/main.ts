import './supported-node';
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import closeWithGrace from 'close-with-grace';
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
    process.stderr.write(`\n  *** ${SIMULATOR_WARNING} See docs/frontend.md for its magic values. ***\n\n`);
  }

  if (config.shutdownGraceMs < config.uspeedo.timeoutMs) {
    app.log.warn(
      { shutdownGraceMs: config.shutdownGraceMs, uspeedoTimeoutMs: config.uspeedo.timeoutMs },
      'SHUTDOWN_GRACE_MS is shorter than USPEEDO_TIMEOUT_MS: a shutdown may cut off a send before its answer',
    );
  }

  // On SIGTERM or SIGINT: stop accepting, let in-flight requests (and so their sends) finish, close
  // the store, exit 0. On an uncaught exception or unhandled rejection (the last line of defence):
  // the same, logged as fatal, and exit 1: a process in an unknown state takes no new request, but the
  // sends already at uSpeedo still get their answers recorded. Past SHUTDOWN_GRACE_MS the process
  // gives up on what is in flight, says so and exits 1; a second signal or fault exits at once.
  const graceMs = config.shutdownGraceMs;
  closeWithGrace(
    {
      delay: graceMs,
      logger: false,
      onTimeout: () => app.log.error({ graceMs }, 'shutdown grace period over: exiting with requests still in flight'),
      onSecondSignal: (signal) => app.log.warn({ signal }, 'a second signal during the shutdown: exiting now'),
      onSecondError: (error) => app.log.fatal({ err: error }, 'a second uncaught error during the shutdown: exiting now'),
    },
    async ({ signal, err }) => {
      // No request's logger sees such a fault: the line names the requests in flight, its cause among them if it came from one.
      if (err) {
        app.log.fatal(
          { err, requestsInFlight: app.requestsInFlight() },
          'uncaught exception or unhandled rejection: shutting down, finishing the requests in flight',
        );
      } else app.log.info({ signal, graceMs }, 'shutting down: no new requests, finishing those in flight');
      try {
        await app.close();
      } catch (error) {
        app.log.error({ err: error }, 'shutdown failed');
        throw error;
      }
      app.log.info('shut down cleanly');
    },
  );

  await app.listen({ host: config.host, port: config.port });
}

main().catch((error: unknown) => {
  // Not a stack trace: a start-up failure here is almost always the port or the host.
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
