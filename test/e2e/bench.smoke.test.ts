import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// A seconds-long run of `npm run bench` with every variant, so the harness cannot rot. Light on
// purpose (two connections, one second per cell): other test files run beside it.
it('runs every variant against the fake, checks each cell, and writes JSON, Markdown and SVG', async () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  const root = join(__dirname, '../..');
  await promisify(execFile)(process.execPath, ['--require', require.resolve('tsx/cjs'), 'bench/run.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      TSX_TSCONFIG_PATH: join(root, 'tsconfig.json'),
      BENCH_SECONDS: '1',
      BENCH_WARMUP_SECONDS: '0',
      BENCH_REPEATS: '1',
      BENCH_SIZES: '1,10',
      BENCH_CONNECTIONS: '2',
      BENCH_OUT: out,
      // Without the Mesh peer: it installs about 500 MB on first use (bench/mesh), too much for every test run.
      BENCH_VARIANTS: 'a-direct,b-ky-forwarder,b2-ky-undici-forwarder,c-undici-forwarder,d-lean,d-lean-preview,d-lean-traced,e-guarded',
      BENCH_SUBSCRIPTIONS: '150',
      BENCH_CAMPAIGN_PAGES: '2',
      BENCH_SETTLE_SECONDS: '0',
    },
  });
  const results = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
  expect(results.cells.map((c: { variant: string }) => c.variant)).toEqual(
    [
      'a-direct',
      'b-ky-forwarder',
      'b2-ky-undici-forwarder',
      'c-undici-forwarder',
      'd-lean',
      'd-lean-preview',
      'd-lean-traced',
      'e-guarded',
    ].flatMap((v) => [v, v]),
  );
  for (const cell of results.cells) {
    expect(cell.checks).toEqual([]);
    expect(cell.reqPerSec).toBeGreaterThan(0);
  }
  expect(readFileSync(join(out, 'latest.md'), 'utf8')).toContain('| d-lean | 10 |');
  // The delivery-status cell, beside the send: 100 known sessions a query, each one lookup at uSpeedo.
  expect(results.status.map((c: { variant: string }) => c.variant)).toEqual(['b-ky-forwarder', 'd-lean', 'e-guarded']);
  for (const cell of results.status) {
    expect(cell.checks).toEqual([]);
    expect(cell.queriesPerSec).toBeGreaterThan(0);
  }
  expect(readFileSync(join(out, 'latest.md'), 'utf8')).toContain('| delivery status (100 known sessions a query) |');
  // The subscription cell: 150 sessions followed, two GETs a poll (100 ids each at most), every page told.
  expect(results.subscriptions).toMatchObject({ subscriptions: 150, getsPerPoll: 2, checks: [] });
  expect(results.subscriptions.pollToLastEventMs).toBeGreaterThanOrEqual(0);
  expect(readFileSync(join(out, 'latest.md'), 'utf8')).toContain('| smsDeliveryUpdates, one session each |');
  // The campaign cell, on SQLite: two pages of 1000 added and sent, each POST counted.
  expect(results.campaigns).toEqual([expect.objectContaining({ store: 'sqlite', pages: 2, checks: [] })]);
  expect(readFileSync(join(out, 'latest.md'), 'utf8')).toContain('| campaign, pages of 1000 |');
  expect(readFileSync(join(out, 'latest.svg'), 'utf8')).toMatch(/^<svg[\s\S]*recipients\/s/);
}, 180_000);
