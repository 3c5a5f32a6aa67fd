import { FakeUspeedo } from '../support/fake-uspeedo';
import { loadFake, runLoad, type LoadReport } from '../support/load';
import { startServer } from '../support/server';
import { API_KEYS, API_KEY_OPS, bearer } from '../support/tokens';

/** One load run against the real app and a misbehaving fake uSpeedo, both on loopback. */
export async function loadRun(durationMs: number, concurrency: number): Promise<LoadReport> {
  const upstream = await FakeUspeedo.start();
  upstream.reply(loadFake(400));
  const server = await startServer({
    USPEEDO_BASE_URL: upstream.url,
    USPEEDO_TIMEOUT_MS: '200',
    LOG_LEVEL: 'warn',
    API_KEYS,
    RATE_LIMIT_PHONE_PER_HOUR: '3',
    RATE_LIMIT_CALLER_PER_MINUTE: '1000000',
  });
  try {
    return await runLoad({ url: `${server.url}/graphql`, upstream, durationMs, concurrency, headers: bearer(API_KEY_OPS) });
  } finally {
    await server.close();
    await upstream.close();
  }
}

/**
 * The bounds a run must keep: the log agrees, nothing crashed and, with `trends`, memory and
 * event-loop delay did not climb. Trends are judged only where the run has the machine to itself
 * (`npm run test:load`), not inside `npm test`, where other test files share the cores.
 */
export function problemsIn(report: LoadReport, trends = true): string[] {
  const problems = [...report.violations];
  if (report.unhandledRejections > 0) problems.push(`${report.unhandledRejections} unhandled rejections`);
  if (report.answered !== report.requests) problems.push(`${report.requests - report.answered} requests got no answer`);
  if (!trends) return problems;
  if (report.rssMb.last > report.rssMb.first * 1.5 + 64) problems.push(`RSS climbed from ${report.rssMb.first} to ${report.rssMb.last} MB`);
  const loop = report.eventLoopDelayMs;
  if (loop.lastThirdP99 > loop.firstThirdP99 * 2 + 20) {
    problems.push(`event-loop delay climbed from ${loop.firstThirdP99} to ${loop.lastThirdP99} ms`);
  }
  return problems;
}
