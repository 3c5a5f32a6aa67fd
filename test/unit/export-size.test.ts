import { MAX_EXPORT_BYTES, spanBytes, splitByBytes } from '../../src/telemetry/tracing';

describe('splitByBytes', () => {
  const span = (name: string, value = '') => ({ name, attributes: { 'graphql.operation.name': value, 'sms.tasks': 3 } });

  it('keeps a batch of ordinary spans in one export', () => {
    const spans = Array.from({ length: 512 }, (_, i) => span(`mutation Send${i}`, `Send${i}`));
    expect(splitByBytes(spans, MAX_EXPORT_BYTES)).toEqual([spans]);
  });

  it('sends large spans in several exports, in order, each within the bound unless one span alone passes it', () => {
    const spans = Array.from({ length: 10 }, (_, i) => span(`q${i}`, 'x'.repeat(100_000)));
    const runs = splitByBytes(spans, MAX_EXPORT_BYTES);
    expect(runs.flat()).toEqual(spans);
    expect(runs.length).toBeGreaterThan(1);
    for (const run of runs) expect(run.reduce((n, s) => n + spanBytes(s), 0)).toBeLessThanOrEqual(MAX_EXPORT_BYTES);
    const huge = span('q', 'x'.repeat(2 * MAX_EXPORT_BYTES));
    expect(splitByBytes([span('a'), huge, span('b')], MAX_EXPORT_BYTES)).toEqual([[span('a')], [huge], [span('b')]]);
  });
});
