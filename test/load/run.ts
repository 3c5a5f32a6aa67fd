// `npm run test:load`: a bounded load run on loopback that stops by itself (LOAD_SECONDS, default 20;
// LOAD_CONCURRENCY, default 50), printing its report and exiting 1 when an invariant broke.
import 'reflect-metadata';
import { loadRun, problemsIn } from './load-env';

async function main(): Promise<void> {
  const seconds = Number(process.env.LOAD_SECONDS ?? 20);
  const concurrency = Number(process.env.LOAD_CONCURRENCY ?? 50);
  const report = await loadRun(seconds * 1000, concurrency);
  const problems = problemsIn(report);
  process.stdout.write(`${JSON.stringify({ seconds, concurrency, ...report, violations: report.violations.slice(0, 20) }, null, 2)}\n`);
  process.stdout.write(
    problems.length ? `FAILED:\n  ${problems.slice(0, 20).join('\n  ')}\n` : 'OK: every answer agrees with what uSpeedo received.\n',
  );
  process.exit(problems.length ? 1 : 0);
}

void main();
