import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useFakeUspeedo, uspeedoReceipt as receipt, uspeedoTemplate as template } from '../support/fake-uspeedo';
import { listeningUrl, start, until } from '../support/main-process';
import { faster } from '../support/pace';
import { RedisServer, redisAvailable } from '../support/redis-server';
import { RedisClusterSet, RedisSentinelSet, topologiesAvailable } from '../support/redis-topologies';
import { startServer, TEST_KEY_ID, TEST_SECRET, type TestServer } from '../support/server';
import { subscribe } from '../support/subscriber';
import { API_KEY_OPS, API_KEYS, bearer } from '../support/tokens';

// Campaigns across processes: a page whose sender was killed mid-send is settled by the next instance
// (one POST, OUTCOME_UNKNOWN) and the rest goes; two instances on a shared Redis send every page
// once, their POSTs at one pace; and the subscription follows a campaign to DONE and its receipts.
const upstream = useFakeUspeedo();
const OPERATIONS = readFileSync(join(__dirname, '../../examples/operations/campaign.graphql'), 'utf8');
const UPDATES = readFileSync(join(__dirname, '../../examples/operations/sms-campaign-updates.graphql'), 'utf8');
/** The fragments campaign.graphql starts with, which the subscription's document selects. */
const FRAGMENTS = OPERATIONS.slice(0, OPERATIONS.indexOf('mutation '));
const SEND = '/api/v1/usms/SendBatchUSMSMessage';

beforeEach(() => {
  upstream.route('GET', '/api/v1/usms/USMSTemplate', { body: { RetCode: 0, Data: [template('hello', 'Hello from us')] } });
});

async function call(url: string, operationName: string, variables: Record<string, unknown>) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(API_KEY_OPS) },
    body: JSON.stringify({ query: OPERATIONS, operationName, variables }),
  });
  const body = await response.json();
  expect(body.errors).toBeUndefined();
  return Object.values(body.data)[0] as any;
}

const phones = (from: number, count: number) => Array.from({ length: count }, (_, i) => `+8613900${String(from + i).padStart(6, '0')}`);
const page = (campaignId: string, n: number, numbers: string[]) => ({
  input: { campaignId, page: n, taskContent: [{ templateId: 'hello', senderId: 'USpeedo', target: numbers.map((phone) => ({ phone })) }] },
});
/** The page a POST carried, by its first number. */
const pageOf = (body: Buffer) => Number(JSON.parse(body.toString()).TaskContent[0].Target[0].Phone.slice(-6)) / 10;
const posts = () => upstream.calls.filter((c) => c.method === 'POST' && c.path.startsWith(SEND));

/** A campaign of `pages` pages of two numbers; `pageOf` reads its POSTs as pages `first`, `first + 1`, … */
async function campaignOf(url: string, pages: number, first = 0) {
  const campaign = await call(url, 'CreateSmsCampaign', { input: { name: 'Notice' } });
  for (let n = 0; n < pages; n++) await call(url, 'AddSmsCampaignTargets', page(campaign.id, n, phones((first + n) * 10, 2)));
  return campaign.id as string;
}

/** A server process of its own, as `npm start` runs it. */
interface Instance {
  url: string;
  stop: () => Promise<void>;
}

async function instance(env: Record<string, string>): Promise<Instance> {
  const run = start(env);
  let url: string;
  try {
    url = await listeningUrl(run, 30_000);
  } catch (error) {
    run.child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    stop: async () => {
      run.child.kill('SIGTERM');
      await run.exited;
    },
  };
}

async function poll(url: string, id: string, done: (c: any) => boolean, ms = 30_000) {
  const end = Date.now() + ms;
  for (;;) {
    const campaign = await call(url, 'SmsCampaign', { campaignId: id });
    if (done(campaign) || Date.now() > end) return campaign;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('campaigns across processes', () => {
  it('settles a page whose sender was killed mid-send as OUTCOME_UNKNOWN after its lease (one POST), then sends the rest', async () => {
    const env = {
      USPEEDO_BASE_URL: upstream.url,
      USPEEDO_ACCESS_KEY_ID: TEST_KEY_ID,
      USPEEDO_ACCESS_KEY_SECRET: TEST_SECRET,
      USPEEDO_TIMEOUT_MS: '500',
      API_KEYS,
      STATE_DB_PATH: join(mkdtempSync(join(tmpdir(), 'sms-campaign-')), 'state.db'),
    };
    // The second page's POST is held until the process is gone.
    upstream.route('POST', SEND, (c) => (pageOf(c.body) === 1 ? { delayMs: 20_000 } : {}));
    const first = start(env);
    let second: ReturnType<typeof start> | undefined;
    try {
      const url = await listeningUrl(first);
      const id = await campaignOf(url, 3);
      await call(url, 'StartSmsCampaign', { campaignId: id });
      await until(() => posts().some((c) => pageOf(c.body) === 1));
      first.child.kill('SIGKILL');
      await first.exited;

      second = start(env);
      const again = await listeningUrl(second);
      const done = await poll(again, id, (c) => c.state === 'DONE');
      expect(done).toMatchObject({ state: 'DONE', sent: 4, outcomeUnknown: 2, pending: 0 });
      expect(done.pages.map((p: any) => p.state)).toEqual(['SENT', 'OUTCOME_UNKNOWN', 'SENT']);
      expect(done.pages[1].error.code).toBe('OUTCOME_UNKNOWN');
      expect(posts().map((c) => pageOf(c.body))).toEqual([0, 1, 2]);
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGTERM');
      await second?.exited;
    }
  }, 60_000);

  /** The stores two instances share: one Redis, and where the tools are there, Sentinel and Cluster. */
  const shared: [string, () => Promise<{ env: Record<string, string>; stop: () => Promise<void> }>][] = [];
  if (redisAvailable()) {
    shared.push([
      'one Redis',
      async () => {
        const redis = await RedisServer.start();
        return { env: { REDIS_URL: redis.url }, stop: () => redis.stop() };
      },
    ]);
  }
  if (topologiesAvailable()) {
    shared.push(['Redis Sentinel', () => RedisSentinelSet.start()], ['Redis Cluster', () => RedisClusterSet.start()]);
  }
  (shared.length > 0 ? it.each(shared) : it.skip.each([['no Redis', null]]))(
    'two instances on %s send every page of two campaigns once, their POSTs at one pace',
    async (_name, open) => {
      const store = await open!();
      const instances: Instance[] = [];
      try {
        // Two processes, as two instances run: in one process each would hold the other's event loop.
        const env = {
          API_KEYS,
          USPEEDO_BASE_URL: upstream.url,
          USPEEDO_ACCESS_KEY_ID: TEST_KEY_ID,
          USPEEDO_ACCESS_KEY_SECRET: TEST_SECRET,
          ...store.env,
          CAMPAIGN_RECIPIENTS_PER_MINUTE: '600',
        };
        instances.push(...(await Promise.all([instance(env), instance(env)])));
        const times: number[] = [];
        upstream.route('POST', SEND, () => {
          times.push(Date.now());
          return {};
        });
        // Two campaigns, so both instances prepare a page at once and contend for the pace.
        const ids = [await campaignOf(instances[0].url, 5), await campaignOf(instances[1].url, 5, 10)];
        await Promise.all(ids.map((id, i) => call(instances[i].url, 'StartSmsCampaign', { campaignId: id })));
        for (const id of ids) {
          expect(await poll(instances[1].url, id, (c) => c.state === 'DONE')).toMatchObject({ state: 'DONE', sent: 10 });
        }
        const sent = posts().map((c) => pageOf(c.body));
        expect(sent.filter((n) => n < 10)).toEqual([0, 1, 2, 3, 4]);
        expect(sent.filter((n) => n >= 10)).toEqual([10, 11, 12, 13, 14]);
        // 2 recipients at 600 a minute: 200 ms between POSTs, whichever instance and campaign sent them.
        // The pace is taken at the moment of each POST, so claims, charges and replica waits do not eat into it.
        expect(faster(times, 200, 100)).toEqual([]);
      } finally {
        await Promise.all(instances.map((one) => one.stop()));
        await store.stop();
      }
    },
    120_000,
  );

  (redisAvailable() ? it : it.skip)(
    'gives a page back, its charge refunded, when another instance took its slot and the next is over 2 s off',
    async () => {
      const redis = await RedisServer.start();
      const servers: TestServer[] = [];
      try {
        // 25 recipients at 600 a minute: 2.5 s a slot, longer than a claimed page waits for one. The
        // server's day holds exactly the four pages, so a charge not refunded would hold the last back.
        const env = {
          API_KEYS,
          USPEEDO_BASE_URL: upstream.url,
          REDIS_URL: redis.url,
          CAMPAIGN_RECIPIENTS_PER_MINUTE: '600',
          RATE_LIMIT_GLOBAL_PER_DAY: '100',
        };
        servers.push(await startServer(env), await startServer(env));
        const times: number[] = [];
        upstream.route('POST', SEND, () => {
          times.push(Date.now());
          return {};
        });
        const ids: string[] = [];
        for (const [i, first] of [0, 10].entries()) {
          const campaign = await call(servers[i].url, 'CreateSmsCampaign', { input: { name: 'Notice' } });
          for (let n = 0; n < 2; n++) {
            await call(servers[i].url, 'AddSmsCampaignTargets', page(campaign.id, n, phones((first + n) * 10, 25)));
          }
          ids.push(campaign.id);
        }
        await Promise.all(ids.map((id, i) => call(servers[i].url, 'StartSmsCampaign', { campaignId: id })));
        for (const id of ids) {
          const done = await poll(servers[0].url, id, (c) => c.state === 'DONE');
          expect(done).toMatchObject({ state: 'DONE', sent: 50, pending: 0 });
          expect(done.blockedBy).toBeNull();
        }
        expect(
          posts()
            .map((c) => pageOf(c.body))
            .sort((a, b) => a - b),
        ).toEqual([0, 1, 10, 11]);
        expect(faster(times, 2500, 100)).toEqual([]);
      } finally {
        await Promise.all(servers.map((s) => s.close()));
        await redis.stop();
      }
    },
    60_000,
  );

  it('follows a campaign live to DONE and its receipts, then completes', async () => {
    let session = 0;
    upstream.route('POST', SEND, () => ({ body: { RetCode: 0, Message: 'success', SessionNo: [`S-${++session}`] } }));
    upstream.route('GET', '/api/v1/usms/USMSSendReceipt', {
      body: {
        RetCode: 0,
        Message: 'success',
        Data: [
          { SessionNo: 'S-1', ReceiptSet: phones(0, 2).map((p) => receipt(p.slice(1))) },
          { SessionNo: 'S-2', ReceiptSet: [receipt(phones(10, 1)[0].slice(1)), receipt(phones(11, 1)[0].slice(1), 'Fail')] },
        ],
      },
    });
    const server = await startServer({ API_KEYS, USPEEDO_BASE_URL: upstream.url, DELIVERY_POLL_SECONDS: '1' });
    try {
      const id = await campaignOf(server.url, 2);
      const followed = subscribe(
        server.url,
        { campaignId: id },
        { query: `${UPDATES}\n${FRAGMENTS}`, connectionParams: bearer(API_KEY_OPS) },
      );
      await followed.eventsAt(1);
      expect(followed.events[0].smsCampaignUpdates).toMatchObject({ state: 'DRAFT', pending: 4 });
      await call(server.url, 'StartSmsCampaign', { campaignId: id });
      expect(await followed.ended).toBe('complete');
      const last = followed.events.at(-1).smsCampaignUpdates;
      expect(last).toMatchObject({ state: 'DONE', sent: 4, delivery: { delivered: 3, undelivered: 1, awaiting: 0 } });
      await followed.dispose();
    } finally {
      await server.close();
    }
  }, 30_000);
});
