// Measuring: autocannon's load against one variant, the server's CPU per answer, what the fake
// uSpeedo counted, and the medians of a cell's repeats.
import { execFileSync } from 'node:child_process';
import { cpuMicros, MULTICORE, once, pinned, sleep } from './processes';
import { headersFor, isPreview, type BenchOptions, type Running, type Variant } from './variants';

/** What the fake has counted: sends received, lookups asked, and trace exports taken. */
export async function counts(fakeUrl: string): Promise<{ received: number; lookups: number; traceExports: number }> {
  return JSON.parse((await once(fakeUrl)).text) as { received: number; lookups: number; traceExports: number };
}

export function autocannon(url: string, bodyFile: string, variant: Variant, seconds: number, connections: number) {
  // Every request is a POST of the body file, a send or a status query alike.
  const headers = Object.entries(headersFor(variant)).flatMap(([k, v]) => ['-H', `${k}=${v}`]);
  const cli = require.resolve('autocannon/autocannon.js');
  const { command, args } = pinned(MULTICORE ? '1' : '0', process.execPath, [
    cli,
    '--json',
    '-c',
    String(connections),
    '-d',
    String(seconds),
    '-m',
    'POST',
    ...headers,
    '-i',
    bodyFile,
    url,
  ]);
  const out = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 2 ** 20 });
  return JSON.parse(out) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
    timeouts: number;
    '2xx': number;
  };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A cell's repeats: one entry per repeat in each list, and what each repeat's checks found. */
export interface Samples {
  rps: number[];
  p50: number[];
  p99: number[];
  cpu: number[];
  checks: string[];
}
export const samples = (): Samples => ({ rps: [], p50: [], p99: [], cpu: [], checks: [] });

/**
 * One repeat of one cell: `options.durationSeconds` of load, then its checks (no non-2xx, error or
 * timeout; the fake's count of `counter` matching the answers), added to `cell`. Resolves with the
 * server CPU per answer.
 */
export async function measure(
  r: Running,
  url: string,
  bodyFile: string,
  fakeUrl: string,
  counter: 'received' | 'lookups',
  options: BenchOptions,
  cell: Samples,
  repeat: number,
): Promise<{ result: ReturnType<typeof autocannon>; cpuPerAnswer: number }> {
  const before = (await counts(fakeUrl))[counter];
  const cpu0 = r.pid ? cpuMicros(r.pid) : 0;
  const result = autocannon(url, bodyFile, r.variant, options.durationSeconds, options.connections);
  await sleep(200);
  const cpu1 = r.pid ? cpuMicros(r.pid) : 0;
  const seen = (await counts(fakeUrl))[counter] - before;
  const answers = result['2xx'];
  if (result.non2xx || result.errors || result.timeouts) {
    cell.checks.push(`repeat ${repeat + 1}: non2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}`);
  }
  // autocannon stops with requests still in flight (up to one per connection, and at the fake's
  // pace a second that it stops counting); those reach the fake unanswered. A preview sends nothing.
  // Identical lookups in flight at once share one read at uSpeedo (single flight), so lookups may be
  // fewer than answers, never none; every send is its own POST.
  const sends = !isPreview(r.variant);
  const tooFew = counter === 'lookups' ? seen === 0 && answers > 0 : seen < answers;
  if (sends ? tooFew || seen > answers + 2 * options.connections : seen !== 0) {
    cell.checks.push(`repeat ${repeat + 1}: ${answers} answers but uSpeedo ${counter === 'received' ? 'received' : 'was asked'} ${seen}`);
  }
  const cpuPerAnswer = r.pid && answers ? (cpu1 - cpu0) / answers : 0;
  cell.rps.push(result.requests.average);
  cell.p50.push(result.latency.p50);
  cell.p99.push(result.latency.p99);
  cell.cpu.push(cpuPerAnswer);
  return { result, cpuPerAnswer };
}
