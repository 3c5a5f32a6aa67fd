import { loadRun, problemsIn } from '../load/load-env';

// The short version of `npm run test:load`, so the harness cannot rot. Its memory and event-loop trends
// are left to the standalone run: here other test files share the cores.
it('under concurrent load with faults and repeated keys, every answer agrees with what uSpeedo received', async () => {
  const report = await loadRun(3000, 20);
  expect(problemsIn(report, false)).toEqual([]);
  expect(report.requests).toBeGreaterThan(100);
  expect(report.byResult.SUCCESS).toBeGreaterThan(0);
  for (const code of ['INVALID_INPUT', 'UPSTREAM_SERVER_ERROR', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT', 'RATE_LIMITED']) {
    expect(report.byResult[code]).toBeGreaterThan(0);
  }
}, 30_000);
