// The subscription cell: this server (lean) with `count` smsDeliveryUpdates subscriptions open, one per
// session and one socket each, as `count` pages would. It measures the GETs each poll makes, the
// server's memory per subscription, and the time from uSpeedo's change to the last page's event.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { freePort, launch, once, sleep, waitFor } from './processes';
import { FOLLOW_SESSIONS } from './seed-sessions';
import { QUERY, targets, type BenchOptions } from './variants';

/** What the cell found. */
export interface SubscriptionCell {
  subscriptions: number;
  /** GETs at uSpeedo in each poll while all are followed and nothing changes: ⌈count ÷ 100⌉ when shared. */
  getsPerPoll: number;
  /** The server's resident memory grown by opening them, per subscription. */
  rssKbPerSubscription: number;
  /** From uSpeedo's change to the last page's final event; it includes the wait for the next poll. */
  changeToLastEventMs: number;
  /** From the poll that first saw the change to the last page's final event: the fan-out alone. */
  pollToLastEventMs: number;
  checks: string[];
}

const FOLLOW = `subscription F($sessionNos: [String!]!) {
  smsDeliveryUpdates(sessionNos: $sessionNos) { ... on SmsDeliveryStatus { sessions { final } } ... on SmsQueryError { code } }
}`;

const rssKb = (pid: number) =>
  Number(
    readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((line) => line.startsWith('VmRSS:'))!
      .split(/\s+/)[1],
  );

interface FakeCounts {
  followGets: { at: number; sessions: number }[];
  firstDeliveredAt: number | null;
}
const fakeCounts = async (fakeUrl: string) => JSON.parse((await once(fakeUrl)).text) as FakeCounts;

/** Runs the cell against the bench's fake uSpeedo, on a server of its own (`npm start`'s flags, polling every second). */
export async function subscriptionCell(count: number, fakeUrl: string, options: BenchOptions, stateDir: string): Promise<SubscriptionCell> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/graphql`;
  const child = launch('0', [...options.serverNodeFlags, 'dist/main.js'], {
    PORT: String(port),
    HOST: '127.0.0.1',
    USPEEDO_BASE_URL: fakeUrl,
    USPEEDO_ACCESS_KEY_ID: 'bench-id',
    USPEEDO_ACCESS_KEY_SECRET: 'bench-secret',
    NODE_ENV: 'production',
    AUTH_DISABLED: 'true',
    RATE_LIMIT_STATUS_PER_MINUTE: '0',
    DELIVERY_POLL_SECONDS: '1',
    SUBSCRIPTIONS_PER_CALLER: String(count),
    STATE_DB_PATH: join(stateDir, 'subscriptions.db'),
  });
  const clients: Client[] = [];
  const checks: string[] = [];
  try {
    await waitFor(`http://127.0.0.1:${port}/healthz`);
    // One batch whose answer names the sessions, so they are this caller's.
    const input = { taskContent: [{ templateId: 'bench_follow_sessions', senderId: 'USpeedo', target: targets(1) }] };
    await once(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUERY, variables: { input } }),
    });
    await sleep(500);
    const before = rssKb(child.pid!);

    const finals: number[] = [];
    const firsts: Promise<void>[] = [];
    for (const sessionNo of FOLLOW_SESSIONS.slice(0, count)) {
      const client = createClient({ url: url.replace('http', 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
      clients.push(client);
      firsts.push(
        new Promise<void>((resolve, reject) => {
          let seen = 0;
          client.subscribe<{ smsDeliveryUpdates: { sessions?: { final: boolean }[]; code?: string } }>(
            { query: FOLLOW, variables: { sessionNos: [sessionNo] } },
            {
              next: ({ data }) => {
                if (++seen === 1) resolve();
                if (data?.smsDeliveryUpdates.sessions?.[0].final) finals.push(Date.now());
                else if (data?.smsDeliveryUpdates.code) reject(new Error(`subscription refused: ${data.smsDeliveryUpdates.code}`));
              },
              error: reject,
              complete: () => {},
            },
          );
        }),
      );
    }
    await Promise.all(firsts);
    await sleep(500);
    const after = rssKb(child.pid!);

    // Nothing changes for a while: the polls back off (1, 2, 4 s). Shared, a poll asks each session once
    // in GETs of 100, so GETs ÷ (sessions asked ÷ count) is the GETs a poll; counted from what uSpeedo
    // was asked, not from gaps in time, which a loaded machine stretches and a window's edge cuts.
    const watchedFrom = Date.now();
    await sleep(3_500);
    const gets = (await fakeCounts(fakeUrl)).followGets.filter((get) => get.at >= watchedFrom);
    const asked = gets.reduce((sum, get) => sum + get.sessions, 0);
    const getsPerPoll = asked >= count ? Math.round((gets.length * count) / asked) : 0;
    const expected = Math.ceil(count / 100);
    if (getsPerPoll !== expected) checks.push(`${gets.length} GETs asked ${asked} sessions: ${getsPerPoll} a poll (expected ${expected})`);

    const changedAt = Date.now();
    await once(`${fakeUrl}/__deliver`, { method: 'POST' });
    for (let i = 0; i < 200 && finals.length < count; i++) await sleep(100);
    if (finals.length < count) checks.push(`${finals.length} of ${count} subscriptions got their final event`);
    const last = Math.max(...finals);
    const { firstDeliveredAt } = await fakeCounts(fakeUrl);
    return {
      subscriptions: count,
      getsPerPoll,
      rssKbPerSubscription: Math.round(((after - before) / count) * 10) / 10,
      changeToLastEventMs: last - changedAt,
      pollToLastEventMs: firstDeliveredAt === null ? -1 : last - firstDeliveredAt,
      checks,
    };
  } finally {
    for (const client of clients) void client.dispose();
    child.kill('SIGTERM');
  }
}
