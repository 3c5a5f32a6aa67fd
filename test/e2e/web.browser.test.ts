import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { chromiumAvailable, CHROMIUM_MISSING_MESSAGE, launchChromium } from '../support/browser';
import { FakeUspeedo, uspeedoTemplate } from '../support/fake-uspeedo';
import { startServer, type TestServer } from '../support/server';
import { StaticServer } from '../support/static-server';
import { API_KEY_WEB, API_KEYS } from '../support/tokens';

const root = join(__dirname, '../..');
const dist = join(root, 'examples/web/dist');
const screenshots = join(root, 'examples/web/screenshots');

const available = chromiumAvailable();
if (!available) it.skip(CHROMIUM_MISSING_MESSAGE, () => {});

(available ? describe : describe.skip)('the example web page in Chromium', () => {
  let upstream: FakeUspeedo;
  let server: TestServer;
  let page$: StaticServer;
  let stranger: StaticServer;
  let signedOut: StaticServer;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    // Codegen runs once for the whole suite (jest globalSetup); the page is built from its output.
    execFileSync(join(root, 'node_modules/.bin/vite'), ['build', '--config', 'examples/web/vite.config.mts', '--logLevel', 'error'], {
      cwd: root,
      stdio: 'pipe',
    });
    upstream = await FakeUspeedo.start();
    // The page's origin is only known once it listens: serve first, then start the API with it.
    let graphqlUrl = '';
    const config = (token: string) => ({
      get graphqlUrl() {
        return graphqlUrl;
      },
      token,
      statusPollMs: 300,
    });
    page$ = await StaticServer.start(dist, config(API_KEY_WEB));
    stranger = await StaticServer.start(dist, config(API_KEY_WEB));
    signedOut = await StaticServer.start(dist, config('usk_expired-or-revoked-key-0123456789abcdef'));
    // A short status cache, so the page's polls (300 ms, then doubling) see the second receipt arrive.
    server = await startServer({
      USPEEDO_BASE_URL: upstream.url,
      API_KEYS,
      CORS_ORIGINS: `${page$.origin},${signedOut.origin}`,
      STATUS_CACHE_SECONDS: '1',
      // The subscription's polls, every second while receipts change.
      DELIVERY_POLL_SECONDS: '1',
    });
    graphqlUrl = `${server.url}/graphql`;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await page$?.close();
    await stranger?.close();
    await signedOut?.close();
    await server?.close();
    await upstream?.close();
  });
  /** Every URL the page asked for that answered 404 (a missing /favicon.ico shows as an error in the console). */
  let missing: string[] = [];
  beforeEach(async () => {
    upstream.reset();
    page = await browser.newPage();
    missing = [];
    page.on('response', (response) => {
      if (response.status() === 404) missing.push(response.url());
    });
  });
  afterEach(async () => {
    await page.close();
    expect(missing).toEqual([]);
  });

  async function open(origin: string) {
    await page.goto(origin);
    await page.waitForSelector('body[data-ready=true]');
  }

  async function fill(templateId: string, targets: [string, string][]) {
    await page.fill('#templateId', templateId);
    while ((await page.locator('#targets tr').count()) < targets.length) await page.click('#add-row');
    for (const [i, [phone, params]] of targets.entries()) {
      await page.fill(`#targets tr:nth-child(${i + 1}) input[name=phone]`, phone);
      await page.fill(`#targets tr:nth-child(${i + 1}) input[name=templateParams]`, params);
    }
  }

  /** Sends and waits for the answer; `screenshot` names the picture the README shows (null: one that would differ each run). */
  async function submit(screenshot: string | null) {
    await page.click('#send');
    await page.waitForSelector('body[data-state]:not([data-state=pending])');
    if (screenshot) await page.screenshot({ path: join(screenshots, `${screenshot}.png`), fullPage: true });
  }

  const rowError = (row: number, field: 'phone' | 'templateParams') =>
    page.textContent(`#targets tr:nth-child(${row + 1}) [data-error-for=${field}]`);

  /** Receipts of session-a: the first GET finds one, later ones both. */
  function receiptsArriving() {
    let polls = 0;
    upstream.route('GET', '/api/v1/usms/USMSSendReceipt', () => ({
      body: {
        RetCode: 0,
        Data: [
          {
            SessionNo: 'session-a',
            // The first poll finds one receipt; the second, both.
            ReceiptSet: [
              {
                Phone: '13800138000',
                ReceiptResult: 'Success',
                ReceiptCode: 'DELIVRD',
                ReceiptDesc: 'delivered',
                CostCount: 1,
                ReceiptTime: 1_764_000_000,
              },
              ...(++polls > 1
                ? [{ Phone: '(852)55311111', ReceiptResult: 'Fail', ReceiptCode: 'UNDELIV', ReceiptDesc: 'handset off', CostCount: 1 }]
                : []),
            ],
          },
        ],
      },
    }));
  }

  /** Sends a batch of two recipients from the page and waits until it says every receipt is final. */
  async function sendTwoUntilSettled() {
    await open(page$.origin);
    await fill('template_id_1', [
      ['13800138000', '123456'],
      ['+85255311111', '654321'],
    ]);
    await page.click('#send');
    await page.waitForSelector('#delivery[data-settled=true]', { timeout: 10_000 });
  }

  /** The GraphQL operations the page sent over HTTP, by name. */
  function httpOperations(): string[] {
    const names: string[] = [];
    page.on('request', (request) => {
      const body = request.url().endsWith('/graphql') ? request.postData() : null;
      if (body) names.push(/(query|mutation) (\w+)/.exec(body)?.[2] ?? '?');
    });
    return names;
  }

  it("shows a success with its session numbers, then each recipient's delivery status pushed by the subscription until it is final", async () => {
    upstream.reply({ body: { RetCode: 0, Message: 'success', SessionNo: ['session-a'], FailedTargetPhones: [] } });
    receiptsArriving();
    const operations = httpOperations();
    await sendTwoUntilSettled();
    // The receipts came over the WebSocket: no status query was sent.
    expect(await page.getAttribute('#delivery', 'data-via')).toBe('subscription');
    expect(operations).toEqual(['SendBatchSms']);
    await page.screenshot({ path: join(screenshots, 'success.png'), fullPage: true });
    expect(await page.getAttribute('#result', 'class')).toBe('success');
    expect(await page.textContent('#result h2')).toBe('Sent');
    expect(await page.textContent('#result .session-nos')).toBe('session-a');
    expect(await page.locator('#delivery tbody tr').allTextContents()).toEqual([
      '13800138000DELIVEREDDELIVRD · delivered',
      '(852)55311111FAILEDUNDELIV · handset off',
    ]);
    expect(await page.textContent('#delivery .delivery-note')).toBe('Every receipt is final.');
    const receiptCalls = upstream.calls.filter((call) => call.method === 'GET');
    expect(receiptCalls.length).toBe(2);
    expect(receiptCalls[0].path).toBe('/api/v1/usms/USMSSendReceipt?id=session-a');
    const call = upstream.calls.find((c) => c.method === 'POST')!;
    expect(JSON.parse(call.body.toString())).toEqual({
      TaskContent: [
        {
          TemplateId: 'template_id_1',
          SenderId: 'USpeedo',
          Target: [
            { Phone: '13800138000', TemplateParams: ['123456'] },
            { Phone: '(852)55311111', TemplateParams: ['654321'] },
          ],
        },
      ],
    });
    expect(server.logs.text).toContain('"caller":"web"');
  });

  it('polls the delivery status instead where WebSocket is refused', async () => {
    upstream.reply({ body: { RetCode: 0, Message: 'success', SessionNo: ['session-a'], FailedTargetPhones: [] } });
    receiptsArriving();
    // As a proxy that refuses the upgrade: every socket errs and closes (1006) before it opens.
    await page.addInitScript(() => {
      class RefusedSocket extends EventTarget {
        static readonly CONNECTING = 0;
        static readonly OPEN = 1;
        static readonly CLOSING = 2;
        static readonly CLOSED = 3;
        readyState = 0;
        protocol = '';
        onerror: ((event: Event) => void) | null = null;
        onclose: ((event: CloseEvent) => void) | null = null;
        onopen: (() => void) | null = null;
        onmessage: (() => void) | null = null;
        constructor() {
          super();
          setTimeout(() => {
            this.readyState = 3;
            this.onerror?.(new Event('error'));
            this.onclose?.(new CloseEvent('close', { code: 1006, reason: '' }));
          }, 10);
        }
        send() {}
        close() {}
      }
      window.WebSocket = RefusedSocket as unknown as typeof WebSocket;
    });
    const operations = httpOperations();
    await sendTwoUntilSettled();
    expect(await page.getAttribute('#delivery', 'data-via')).toBe('polling');
    expect(operations[0]).toBe('SendBatchSms');
    expect(operations.slice(1).every((name) => name === 'SmsDeliveryStatus')).toBe(true);
    expect(operations.length).toBeGreaterThanOrEqual(2);
  });

  it('shows a partial failure with each failed phone and its reason', async () => {
    upstream.reply({
      body: {
        RetCode: 0,
        Message: 'success',
        SessionNo: ['session-b'],
        FailedTargetPhones: [{ Phone: '(852)55310000', TemplateParams: ['2'], FailureReason: 'phone in the black list' }],
      },
    });
    await open(page$.origin);
    await fill('template_id_1', [
      ['13800138000', '1'],
      ['+85255310000', '2'],
    ]);
    await submit('partial-failure');
    expect(await page.getAttribute('#result', 'class')).toBe('partial');
    expect(await page.textContent('#result h2')).toBe('Sent, but 1 recipient(s) failed');
    expect(await page.locator('#result table.failed tbody tr').allTextContents()).toEqual(['(852)55310000phone in the black list']);
  });

  it('marks the row a failed target came from by its path, however differently uSpeedo wrote the number', async () => {
    upstream.reply({
      body: {
        RetCode: 0,
        Message: 'success',
        SessionNo: ['session-c'],
        FailedTargetPhones: [{ Phone: '(852)55310000', TemplateParams: ['2'], FailureReason: 'phone in the black list' }],
      },
    });
    await open(page$.origin);
    await fill('template_id_1', [
      ['13800138000', '1'],
      ['+852 5531 0000', '2'],
      ['13800138001', '3'],
    ]);
    await submit('partial-failure-rows');
    expect(await page.locator('#targets tr').evaluateAll((rows) => rows.map((row) => row.className))).toEqual(['', 'failed-row', '']);
    expect(await page.locator('#targets tr.failed-row .failed-reason').textContent()).toBe('Not sent: phone in the black list');
  });

  it('previews the batch before sending: what each recipient reads, the SMS billed, a warning for split and UCS-2 messages, nothing sent', async () => {
    upstream.route('GET', '/api/v1/usms/USMSTemplate', {
      body: {
        RetCode: 0,
        Data: [uspeedoTemplate('welcome', 'Hello {1}, welcome to Beşiktaş!')],
      },
    });
    await open(page$.origin);
    await fill('welcome', [
      ['13800138000', 'Ada'],
      ['+852 5531 0000', 'Bartholomew '.repeat(4).trim()],
    ]);
    await page.click('#preview-batch');
    await page.waitForSelector('#preview h2');
    await page.screenshot({ path: join(screenshots, 'preview.png'), fullPage: true });
    expect(await page.textContent('#preview h2')).toBe('2 recipient(s), 3 SMS billed');
    expect(await page.textContent('#preview .warning')).toContain('1 message(s) are split into several SMS');
    expect(await page.locator('#preview table.messages tbody tr').first().textContent()).toBe(
      '0+8613800138000Hello Ada, welcome to Beşiktaş!1 (UCS-2, 31)',
    );
    expect(upstream.calls.filter((call) => call.method === 'POST')).toHaveLength(0);
    // It declares its icon, so a browser with a tab strip asks for no /favicon.ico (a 404 in the console).
    expect(await page.getAttribute('link[rel=icon]', 'href')).toBe('data:,');
    // The preview is of the batch as it was written: once the form changes, it goes.
    await page.fill('#targets tr:nth-child(1) input[name=templateParams]', 'Grace');
    expect(await page.locator('#preview').count()).toBe(0);
  });

  it('shows INVALID_INPUT with each message beside the row and field it names, and sends nothing', async () => {
    await open(page$.origin);
    await fill(' ', [
      ['13800138000', '1'],
      ['12345', '2'],
      ['13800138000', '3'],
    ]);
    await submit('invalid-input');
    expect(await page.textContent('#result .code')).toBe('INVALID_INPUT');
    expect(await page.textContent('.field [data-error-for=templateId]')).toBe('must not be blank');
    expect(await rowError(0, 'phone')).toBe('');
    expect(await rowError(1, 'phone')).toBe('is not a valid phone number');
    expect(await rowError(2, 'phone')).toBe('repeats the phone number of target 0 in this task');
    // The page numbers its rows as messages and paths do: "target 0" is the first row.
    expect(await page.locator('#targets td.index').allTextContents()).toEqual(['0', '1', '2']);
    expect(await page.getAttribute('#targets tr:nth-child(2) input[name=phone]', 'class')).toBe('invalid');
    expect(upstream.calls).toHaveLength(0);
  });

  it('shows an upstream error with its code and message, and whether a retry is safe', async () => {
    upstream.reply({ status: 429, headers: { 'retry-after': '30' }, body: { RetCode: 215999, Message: 'too many requests' } });
    await open(page$.origin);
    await fill('template_id_1', [['13800138000', '1']]);
    await submit('upstream-error');
    expect(await page.textContent('#result .code')).toBe('UPSTREAM_HTTP_ERROR');
    expect(await page.textContent('#result .retry')).toBe('Safe to send again after 30 s. Retry in 30 s');
    expect(await page.isDisabled('#retry')).toBe(true);
    expect(upstream.calls).toHaveLength(1);
  });

  it('heads an answer that may have been sent "Outcome unknown", never "Not sent", and offers no retry', async () => {
    upstream.reply({ fault: 'reset' });
    await open(page$.origin);
    await fill('template_id_1', [['13800138000', '1']]);
    await submit('outcome-unknown');
    expect(await page.textContent('#result h2')).toBe('Outcome unknown: UPSTREAM_UNAVAILABLE');
    expect(await page.locator('#retry').count()).toBe(0);
  });

  it('says a long wait as a time of day, not a button counting down', async () => {
    upstream.reply({ status: 429, headers: { 'retry-after': '1330' }, body: { RetCode: 215999, Message: 'too many requests' } });
    await open(page$.origin);
    await fill('template_id_1', [['13800138000', '1']]);
    // Its text holds a time of day: committed once, not rewritten by every run.
    await submit(null);
    expect(await page.textContent('#result h2')).toBe('Not sent: UPSTREAM_HTTP_ERROR');
    expect(await page.textContent('#result .retry')).toMatch(
      /^Safe to send again after \d{1,2}:\d{2}( [AP]M)?\. Nothing was sent; come back then\.$/,
    );
    expect(await page.locator('#retry').count()).toBe(0);
  });

  it('offers a retry that reuses the idempotency key once the wait is over', async () => {
    upstream.reply({ status: 429, headers: { 'retry-after': '1' }, body: { RetCode: 215999, Message: 'too many requests' } });
    await open(page$.origin);
    await fill('template_id_1', [['13800138000', '1']]);
    await submit('rate-limited');
    upstream.reply({ body: { RetCode: 0, Message: 'success', SessionNo: ['session-r'], FailedTargetPhones: [] } });
    await page.waitForSelector('#retry:not([disabled])', { timeout: 5_000 });
    await page.click('#retry');
    await page.waitForSelector('#result.success');
    const keys = upstream.calls.filter((c) => c.method === 'POST');
    expect(keys).toHaveLength(2);
    // A 429 freed the key (nothing was sent), so the retry under the same key sends once.
    expect(server.logs.text.match(/"idempotency":"(replay|conflict)"/)).toBeNull();
  });

  it('says plainly when the key is not accepted (401), and sends nothing', async () => {
    await open(signedOut.origin);
    await fill('template_id_1', [['13800138000', '1']]);
    await submit('unauthenticated');
    expect(await page.textContent('#result .code')).toBe('UNAUTHENTICATED');
    expect(await page.textContent('#result .transport-error')).toMatch(/not signed in, or your key has expired/);
    expect(upstream.calls).toHaveLength(0);
  });

  it('cannot send from an origin that is not in CORS_ORIGINS: the browser stops it, nothing reaches uSpeedo', async () => {
    await open(stranger.origin);
    await fill('template_id_1', [['13800138000', '1']]);
    const before = server.logs.lines.length;
    await submit('disallowed-origin');
    // The page cannot tell a refused preflight from a connection lost after the request left: it says the outcome is unknown.
    expect(await page.textContent('#result h2')).toBe('Outcome unknown: no answer');
    expect(await page.textContent('#result .transport-error')).toMatch(/^The connection failed .*without changing the form/);
    expect(upstream.calls).toHaveLength(0);
    // The preflight was refused, so the POST itself never left the browser.
    const after = server.logs.lines.slice(before).join('\n');
    expect(after).toContain('"method":"OPTIONS"');
    expect(after).not.toContain('"method":"POST"');
  });
});

/** A CSV as a team exports one: a header, then `phone,code`; `broken` lines hold a phone no one can read. */
function csv(rows: number, broken: ReadonlySet<number> = new Set()): string {
  const lines = ['phone,code'];
  for (let i = 0; i < rows; i++) {
    lines.push(broken.has(lines.length + 1) ? 'not-a-phone,1' : `1380013${String(i).padStart(4, '0')},${1000 + i}`);
  }
  return `${lines.join('\n')}\n`;
}

(available ? describe : describe.skip)('the example page: a campaign from a CSV, in Chromium', () => {
  let upstream: FakeUspeedo;
  let browser: BrowserContext;
  let page: Page;
  const started: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    execFileSync(join(root, 'node_modules/.bin/vite'), ['build', '--config', 'examples/web/vite.config.mts', '--logLevel', 'error'], {
      cwd: root,
      stdio: 'pipe',
    });
    upstream = await FakeUspeedo.start();
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await upstream?.close();
  });
  afterEach(async () => {
    await page?.close();
    await Promise.all(started.splice(0).map((s) => s.close()));
  });

  /**
   * The page on its own origin, against a server with `env`; opened on the campaign tab. The server runs
   * only the page's own documents (the manifest codegen wrote), which the page names by id.
   */
  async function openCampaigns(env: Record<string, string>) {
    let graphqlUrl = '';
    const static$ = await StaticServer.start(dist, {
      get graphqlUrl() {
        return graphqlUrl;
      },
      token: API_KEY_WEB,
      persistedDocuments: true,
    });
    const server = await startServer({
      API_KEYS,
      CORS_ORIGINS: static$.origin,
      DELIVERY_POLL_SECONDS: '1',
      TRUSTED_DOCUMENTS: join(root, 'examples/generated/persisted-documents.json'),
      TRUSTED_DOCUMENTS_MODE: 'require',
      ...env,
    });
    graphqlUrl = `${server.url}/graphql`;
    started.push(static$, server);
    page = await browser.newPage();
    await page.goto(static$.origin);
    await page.waitForSelector('body[data-ready=true]');
    await page.click('[data-testid=campaign-tab]');
    return server;
  }

  /** Requests the server refused for their document: none, when the page sends ids from its manifest. */
  let refusedDocuments: string[] = [];
  async function chooseCsv(text: string) {
    refusedDocuments = [];
    page.on('response', (response) => {
      if (response.status() === 400) refusedDocuments.push(response.url());
    });
    await page.setInputFiles('[data-testid=campaign-file]', { name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });
  }

  it('on the simulator: uploads 1200 rows as two pages, shows the refused row on its line, the cost, then sends it live to DONE with the failed row on its line', async () => {
    await openCampaigns({ USPEEDO_SIMULATOR: 'true', CAMPAIGN_RECIPIENTS_PER_MINUTE: '1000000' });
    expect(await page.inputValue('[data-testid=campaign-template]')).toBe('template_id_1');
    // Line 5 cannot be read; line 2's number ends in 0000, which the simulator refuses.
    await chooseCsv(csv(1200, new Set([5])));
    await page.waitForSelector('[data-testid=campaign-start]');
    expect(await page.getAttribute('[data-testid=campaign-upload-progress]', 'value')).toBe('2');
    expect(await page.getAttribute('[data-testid=campaign-refused-row]', 'data-line')).toBe('5');
    const cost = page.locator('[data-testid=campaign-cost]');
    expect(await cost.getAttribute('data-recipients')).toBe('1199');
    expect(await cost.getAttribute('data-segments')).toBe('1199');
    await page.screenshot({ path: join(screenshots, 'campaign-cost.png'), fullPage: true });
    await page.click('[data-testid=campaign-start]');
    await page.waitForSelector('[data-testid=campaign-progress][data-state=DONE]', { timeout: 30_000 });
    const progress = page.locator('[data-testid=campaign-progress]');
    expect(await progress.getAttribute('data-sent')).toBe('1198');
    expect(await progress.getAttribute('data-failed')).toBe('1');
    expect(await progress.getAttribute('data-pending')).toBe('0');
    await page.waitForSelector('[data-testid=campaign-failure]');
    expect(
      await page.locator('[data-testid=campaign-failure]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-line'))),
    ).toEqual(['2']);
    await page.screenshot({ path: join(screenshots, 'campaign-done.png'), fullPage: true });
    expect(refusedDocuments).toEqual([]);
  }, 60_000);

  it('against the fake: pauses after the page in flight, then cancels, and the pages not tried are never sent', async () => {
    upstream.reset();
    upstream.route('GET', '/api/v1/usms/USMSTemplate', {
      body: { RetCode: 0, Data: [uspeedoTemplate('template_id_1', 'Your code is {1}.')] },
    });
    // 1000 recipients at 30 000 a minute: two seconds between pages.
    await openCampaigns({ USPEEDO_BASE_URL: upstream.url, CAMPAIGN_RECIPIENTS_PER_MINUTE: '30000' });
    await chooseCsv(csv(3000));
    await page.waitForSelector('[data-testid=campaign-start]');
    await page.click('[data-testid=campaign-start]');
    await page.waitForSelector('[data-testid=campaign-progress][data-sent="1000"]', { timeout: 20_000 });
    await page.click('[data-testid=campaign-pause]');
    await page.waitForSelector('[data-testid=campaign-progress][data-state=PAUSED]');
    await page.screenshot({ path: join(screenshots, 'campaign-paused.png'), fullPage: true });
    await page.click('[data-testid=campaign-cancel]');
    await page.waitForSelector('[data-testid=campaign-progress][data-state=CANCELLED]');
    const sends = upstream.calls.filter((c) => c.method === 'POST').length;
    expect(sends).toBeLessThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(upstream.calls.filter((c) => c.method === 'POST')).toHaveLength(sends);
    const progress = page.locator('[data-testid=campaign-progress]');
    expect(Number(await progress.getAttribute('data-sent'))).toBe(sends * 1000);
    expect(Number(await progress.getAttribute('data-pending'))).toBe(0);
  }, 60_000);
});
