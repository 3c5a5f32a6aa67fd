// The campaign cell: this server (guarded) adding a campaign's pages and sending them, beside its own
// preview and guarded send of the same size. It measures server CPU per page added against a preview,
// per page sent against a guarded send, and the memory a whole campaign leaves once it is settled.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuMicros, freePort, launch, once, sleep, waitFor } from './processes';
import { API_KEY, GUARDED_CALLER, QUERY, type BenchOptions } from './variants';

/** What the cell found, on one store. */
export interface CampaignCell {
  store: string;
  pages: number;
  targetsPerPage: number;
  /** Server CPU per request, in ms, each asked one at a time. */
  previewCpuMs: number;
  addPageCpuMs: number;
  guardedSendCpuMs: number;
  /** From start to DONE, per page: the runner's page, its limits, its key, one POST, the record. */
  sendPageCpuMs: number;
  /** The goals: at most 1.5 and 1.2. */
  addToPreview: number;
  sendToGuardedSend: number;
  /** Resident memory of the server idle after its preview and send measurements, and once the campaign is DONE and settled (each after a full collection). */
  idleRssMb: number;
  settledRssMb: number;
  /** The V8 heap in use (nodejs_heap_size_used_bytes), idle and settled: what the process keeps, as against what it has not handed back. */
  idleHeapMb: number;
  settledHeapMb: number;
  /** Wall time from start to DONE. */
  sendSeconds: number;
  checks: string[];
}

const PREVIEW =
  'query Preview($input: SendBatchSmsInput!) { smsSendPreview(input: $input) { __typename ... on SmsSendPreview { recipients segments } ... on SendBatchSmsError { code message } } }';
const CREATE =
  'mutation C($input: CreateSmsCampaignInput!) { createSmsCampaign(input: $input) { __typename ... on SmsCampaign { id } ... on SmsCampaignError { code message } } }';
const ADD =
  'mutation A($input: AddSmsCampaignTargetsInput!) { addSmsCampaignTargets(input: $input) { __typename ... on SmsCampaign { recipients segments } ... on SmsCampaignError { code message } } }';
const START =
  'mutation S($id: ID!) { startSmsCampaign(campaignId: $id) { __typename ... on SmsCampaign { state } ... on SmsCampaignError { code message } } }';
const READ =
  'query R($id: ID!) { smsCampaign(campaignId: $id) { __typename ... on SmsCampaign { state sent failed skipped outcomeUnknown pending } } }';

/** Repeats of the preview and the guarded send (after five warm-ups): as many as the pages, so the idle server has met the same volume of 1000-target requests. */
const REPEATS = 100;

const rssMb = (pid: number) =>
  Math.round(
    Number(
      readFileSync(`/proc/${pid}/status`, 'utf8')
        .split('\n')
        .find((line) => line.startsWith('VmRSS:'))!
        .split(/\s+/)[1],
    ) / 1024,
  );

/** Page `p`'s targets: numbers of its own, so every page is distinct, as a real list is. */
const pageTargets = (p: number, size: number) =>
  Array.from({ length: size }, (_, i) => ({
    phone: `139${String(p).padStart(3, '0')}${String(i).padStart(5, '0')}`,
    templateParams: ['123456'],
  }));
const task = (target: unknown[]) => [{ templateId: 'template_id_1', senderId: 'USpeedo', target }];

/** Runs the cell on a server of its own against the bench's fake uSpeedo; `store` adds REDIS_URL or the like. */
export async function campaignCell(
  fakeUrl: string,
  options: BenchOptions,
  stateDir: string,
  store: { name: string; env: Record<string, string> },
  pages: number,
  settleSeconds: number,
  size = 1000,
): Promise<CampaignCell> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/graphql`;
  const child = launch('0', ['--expose-gc', '--require', './bench/gc-on-signal.cjs', ...options.serverNodeFlags, 'dist/main.js'], {
    PORT: String(port),
    HOST: '127.0.0.1',
    USPEEDO_BASE_URL: fakeUrl,
    USPEEDO_ACCESS_KEY_ID: 'bench-id',
    USPEEDO_ACCESS_KEY_SECRET: 'bench-secret',
    NODE_ENV: 'production',
    METRICS_PUBLIC: 'true',
    ...GUARDED_CALLER,
    CAMPAIGN_RECIPIENTS_PER_MINUTE: '10000000',
    STATE_DB_PATH: join(stateDir, `campaign-${store.name}.db`),
    ...store.env,
  });
  const checks: string[] = [];
  const pid = child.pid!;
  const ask = async (query: string, variables: Record<string, unknown>) => {
    const { status, text } = await once(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ query, variables }),
    });
    if (status !== 200) throw new Error(`campaign cell: HTTP ${status}: ${text.slice(0, 200)}`);
    return Object.values((JSON.parse(text) as { data: Record<string, any> }).data)[0];
  };
  const cpuOf = async (repeats: number, work: (i: number) => Promise<unknown>) => {
    const before = cpuMicros(pid);
    for (let i = 0; i < repeats; i++) await work(i);
    return (cpuMicros(pid) - before) / repeats / 1000;
  };
  /** A full collection in the server, then a moment for it to hand freed pages back. */
  const collect = async () => {
    child.kill('SIGWINCH');
    await sleep(1000);
  };
  /**
   * Settled: a full collection every 5 s for `settleSeconds`. V8 hands freed pages back to the system
   * only once its memory reducer sees the process quiet, some 20 to 30 s after the work: measured
   * sooner, the resident set still holds what the last collection freed.
   */
  const settle = async () => {
    for (let waited = 0; waited < settleSeconds; waited += 5) {
      await sleep(4000);
      await collect();
    }
    await collect();
  };
  const heapMb = async () => {
    const { text } = await once(`http://127.0.0.1:${port}/metrics`);
    const line = text.split('\n').find((l) => l.startsWith('nodejs_heap_size_used_bytes'));
    return line ? Math.round(Number(line.split(' ')[1]) / 1048576) : -1;
  };
  const received = async () => (JSON.parse((await once(fakeUrl)).text) as { received: number }).received;
  try {
    await waitFor(`http://127.0.0.1:${port}/healthz`);
    await sleep(1000);
    const batch = { taskContent: task(pageTargets(999, size)) };
    for (let i = 0; i < 5; i++) await ask(PREVIEW, { input: batch });
    const previewCpuMs = await cpuOf(REPEATS, () => ask(PREVIEW, { input: batch }));
    for (let i = 0; i < 5; i++) await ask(QUERY, { input: batch });
    const guardedSendCpuMs = await cpuOf(REPEATS, () => ask(QUERY, { input: batch }));
    // Idle, but warm: the sends above grew the young generation to its size under load (npm start's
    // --max-semi-space-size), which any traffic does; the campaign's own memory is what comes after.
    await settle();
    const idleRssMb = rssMb(pid);
    const idleHeapMb = await heapMb();

    const created = await ask(CREATE, { input: { name: 'bench' } });
    const id = created.id as string;
    const addPageCpuMs = await cpuOf(pages, async (p) => {
      const added = await ask(ADD, { input: { campaignId: id, page: p, taskContent: task(pageTargets(p, size)) } });
      if (added.__typename !== 'SmsCampaign') checks.push(`page ${p} not added: ${added.code} ${added.message}`);
    });
    const postsBefore = await received();
    const startedAt = Date.now();
    const cpuBefore = cpuMicros(pid);
    const started = await ask(START, { id });
    if (started.state !== 'SENDING') checks.push(`not started: ${JSON.stringify(started)}`);
    let campaign: any;
    do {
      await sleep(200);
      campaign = await ask(READ, { id });
    } while (campaign.state === 'SENDING' && Date.now() - startedAt < 600_000);
    const sendPageCpuMs = (cpuMicros(pid) - cpuBefore) / pages / 1000;
    const sendSeconds = (Date.now() - startedAt) / 1000;
    if (campaign.state !== 'DONE' || campaign.sent !== pages * size) checks.push(`campaign ended ${JSON.stringify(campaign)}`);
    const posts = (await received()) - postsBefore;
    if (posts !== pages) checks.push(`${posts} POSTs for ${pages} pages`);
    await settle();
    const settledRssMb = rssMb(pid);
    const settledHeapMb = await heapMb();
    if (settledRssMb - idleRssMb >= 64) checks.push(`RSS grew ${settledRssMb - idleRssMb} MB, 64 MB at most`);
    const round = (n: number) => Math.round(n * 100) / 100;
    return {
      store: store.name,
      pages,
      targetsPerPage: size,
      previewCpuMs: round(previewCpuMs),
      addPageCpuMs: round(addPageCpuMs),
      guardedSendCpuMs: round(guardedSendCpuMs),
      sendPageCpuMs: round(sendPageCpuMs),
      addToPreview: round(addPageCpuMs / previewCpuMs),
      sendToGuardedSend: round(sendPageCpuMs / guardedSendCpuMs),
      idleRssMb,
      settledRssMb,
      idleHeapMb,
      settledHeapMb,
      sendSeconds: round(sendSeconds),
      checks,
    };
  } finally {
    child.kill('SIGTERM');
  }
}
