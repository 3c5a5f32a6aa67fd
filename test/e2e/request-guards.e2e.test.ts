import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import Database from 'better-sqlite3';
import { MAX_FIELD_ERRORS } from '../../src/sms/send/prepare-batch';
import { BREAKER_VOLUME, MAX_LOOKUP_URL_BYTES } from '../../src/uspeedo/upstream-reads';
import { USPEEDO_PATHS } from '../../src/uspeedo/uspeedo.types';
import { uspeedoTemplate, type RecordedCall } from '../support/fake-uspeedo';
import { start, until } from '../support/main-process';
import { batch, SEND_BATCH_SMS, serverPool, TEST_KEY_ID, TEST_SECRET } from '../support/server';
import { API_KEY_OPS, API_KEY_WEB, API_KEYS, bearer, hsToken, JWT_TEST_SECRET } from '../support/tokens';

// What a caller cannot do to the server or to another caller: callers only from the parsed configuration,
// ceilings before work, no stall of every caller, budgeted reads, a template check the batch cannot
// turn off, refusals the same in every posture, text rules, modes, uSpeedo's Message cleaned, token lifetimes.

const pool = serverPool({ API_KEYS });
const { serve, upstream } = pool;
const ops = bearer(API_KEY_OPS);
const TEMPLATES = `/${USPEEDO_PATHS.templates}`;
const posts = () => upstream.calls.filter((call) => call.method === 'POST');
const gets = () => upstream.calls.filter((call) => call.method === 'GET');

const TEMPLATE_QUERY = `query T($ids: [String!]!) { smsTemplates(templateIds: $ids) {
  __typename
  ... on SmsTemplateList { missingTemplateIds templates { templateId status } }
  ... on SmsQueryError { code retryable retryAfterSeconds fieldErrors { path message } }
} }`;

const template = (id: string, status = 2) => uspeedoTemplate(id, 'Code {1}', status);

// The ids a template lookup asked for.
const idsOf = (call: RecordedCall) => new URL(call.path, 'http://x').searchParams.getAll('id');

describe('callers come from the parsed configuration', () => {
  it.each([',', ' , ', ',,,'])('refuses to start with live credentials and API_KEYS=%j, naming API_KEYS', async (keys) => {
    const run = start({ API_KEYS: keys, USPEEDO_ACCESS_KEY_ID: TEST_KEY_ID, USPEEDO_ACCESS_KEY_SECRET: TEST_SECRET });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/API_KEYS: entry 1 is empty/);
    expect(run.output()).toMatch(/API_KEYS: is set but yields no key/);
    expect(run.output()).not.toContain('Server listening');
  });
});

describe('ceilings before work', () => {
  it('answers a 70 000-target batch with one small INVALID_INPUT at taskContent, nothing sent', async () => {
    const server = await serve();
    // About 980 KB, inside the body limit: every target a one-digit phone.
    const target = Array.from({ length: 70_000 }, (_, i) => ({ phone: String(i % 10) }));
    const started = performance.now();
    const { status, body } = await server.gql(SEND_BATCH_SMS, batch(target), ops);
    const ms = performance.now() - started;
    expect(status).toBe(200);
    expect(body.data.sendBatchSms).toMatchObject({
      code: 'INVALID_INPUT',
      fieldErrors: [{ path: ['taskContent'], message: 'must contain at most 1000 targets across all tasks (found 1001 or more)' }],
    });
    expect(server.responses[server.responses.length - 2].length).toBeLessThan(2_000);
    expect(upstream.calls).toHaveLength(0);
    // Reading 2 MB of JSON and GraphQL's coercion remain; no phone was parsed (that was over a second).
    expect(ms).toBeLessThan(1_000);
  });

  it('lists at most 100 field errors, the last saying how many more', async () => {
    const server = await serve();
    const target = Array.from({ length: 1000 }, () => ({ phone: 'not a phone', templateParams: ['\n'] }));
    const { body } = await server.gql(SEND_BATCH_SMS, batch(target), ops);
    const errors = body.data.sendBatchSms.fieldErrors;
    expect(errors).toHaveLength(MAX_FIELD_ERRORS);
    expect(errors[0].path).toEqual(['taskContent', '0', 'target', '0', 'phone']);
    expect(errors[MAX_FIELD_ERRORS - 1]).toEqual({ path: [], message: expect.stringMatching(/^and 1901 more problems/) });
    expect(upstream.calls).toHaveLength(0);
  });

  it('refuses a lookup of more than 100 ids with one field error, nothing asked', async () => {
    const server = await serve();
    const ids = Array.from({ length: 50_000 }, (_, i) => `T${i}`);
    const { body } = await server.gql(TEMPLATE_QUERY, { ids }, ops);
    expect(body.data.smsTemplates).toMatchObject({
      code: 'INVALID_INPUT',
      fieldErrors: [{ path: ['templateIds'], message: 'must contain at most 100 ids (found 1001 or more)' }],
    });
    expect(upstream.calls).toHaveLength(0);
  });
});

describe('one key cannot stall every caller', () => {
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

  it("keeps a quiet caller's median within 50 ms of its quiet median under four loops of 980 KB batches from another key", async () => {
    const run = start({
      API_KEYS,
      USPEEDO_ACCESS_KEY_ID: TEST_KEY_ID,
      USPEEDO_ACCESS_KEY_SECRET: TEST_SECRET,
      USPEEDO_BASE_URL: upstream.url,
    });
    try {
      await until(() => /Server listening at http:\/\/127\.0\.0\.1:\d+/.test(run.output()));
      const url = `http://127.0.0.1:${/Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(run.output())![1]}`;
      const quietOnce = async () => {
        const started = performance.now();
        const response = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...bearer(API_KEY_WEB) },
          body: JSON.stringify({ query: '{ smsLimits { maxTargetsPerRequest } }' }),
        });
        expect((await response.json()).data.smsLimits.maxTargetsPerRequest).toBe(1000);
        return performance.now() - started;
      };
      const sample = async (count: number) => {
        const times: number[] = [];
        for (let i = 0; i < count; i++) {
          times.push(await quietOnce());
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        return median(times);
      };
      const quiet = await sample(30);
      const hostile = JSON.stringify({
        query: SEND_BATCH_SMS,
        variables: batch(Array.from({ length: 70_000 }, (_, i) => ({ phone: String(i % 10) }))),
      });
      expect(hostile.length).toBeGreaterThan(950_000);
      let stop = false;
      const answers: number[] = [];
      const loops = Array.from({ length: 4 }, async () => {
        while (!stop) {
          const answer = await rawRequest(url, hostile, { 'content-type': 'application/json', ...ops }).catch(() => ({ status: 0 }));
          answers.push(answer.status);
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const underAttack = await sample(60);
      stop = true;
      await Promise.all(loops);
      expect(underAttack).toBeLessThan(quiet + 50);
      // The first ones were read and refused for their size; the rest for the caller's budget of large bodies.
      expect(answers.filter((status) => status === 200).length).toBeGreaterThan(0);
      expect(answers.filter((status) => status === 429).length).toBeGreaterThan(0);
      expect(upstream.calls).toHaveLength(0);
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 60_000);
});

describe('reads are budgeted', () => {
  it('refuses a document that aliases a lookup, before asking uSpeedo', async () => {
    const server = await serve();
    const aliases = Array.from({ length: 15 }, (_, i) => `a${i}: smsTemplates(templateIds: $ids) { __typename }`).join(' ');
    const { status, body } = await server.gql(`query Q($ids: [String!]!) { ${aliases} }`, { ids: ['T1'] }, ops);
    expect(status).toBe(400);
    expect(body.errors[0].message).toBe('An operation may contain at most one smsTemplates: ask for every template in one list.');
    const both = await server.gql(
      `query Q($ids: [String!]!) { a: smsDeliveryStatus(sessionNos: $ids) { __typename } b: smsDeliveryStatus(sessionNos: $ids) { __typename } }`,
      { ids: ['S1'] },
      ops,
    );
    expect(both.status).toBe(400);
    expect(upstream.calls).toHaveLength(0);
  });

  it("counts smsTemplates' ids against the caller's own per-minute limit", async () => {
    const server = await serve({ RATE_LIMIT_TEMPLATES_PER_MINUTE: '250', TEMPLATE_CACHE_SECONDS: '0' });
    upstream.route('GET', TEMPLATES, (call) => ({ body: { RetCode: 0, Data: idsOf(call).map((id) => template(id)) } }));
    const ids = Array.from({ length: 100 }, (_, i) => `T${i}`);
    const answers = [];
    for (let i = 0; i < 40; i++) answers.push((await server.gql(TEMPLATE_QUERY, { ids }, ops)).body.data.smsTemplates);
    expect(answers.filter((a) => a.__typename === 'SmsTemplateList')).toHaveLength(2);
    expect(answers[2]).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    // 200 ids in two lookups, and nothing for the 38 refused.
    expect(gets().flatMap(idsOf)).toHaveLength(200);
  });

  it('stops asking a failing uSpeedo: one hostile caller, 40 requests, every answer a 500, a handful of upstream calls', async () => {
    const server = await serve({ RATE_LIMIT_TEMPLATES_PER_MINUTE: '0', RATE_LIMIT_STATUS_PER_MINUTE: '0' });
    upstream.route('GET', TEMPLATES, { status: 500, body: {} });
    const answers = [];
    for (let i = 0; i < 40; i++) answers.push((await server.gql(TEMPLATE_QUERY, { ids: [`T${i}`] }, ops)).body.data.smsTemplates);
    // The breaker opens once BREAKER_VOLUME attempts have failed; a retry may be in flight then.
    expect(gets().length).toBeGreaterThanOrEqual(BREAKER_VOLUME);
    expect(gets().length).toBeLessThanOrEqual(BREAKER_VOLUME + 2);
    expect(answers.every((a) => a.__typename === 'SmsQueryError' && a.retryable)).toBe(true);
    expect(answers[39].code).toBe('UPSTREAM_UNAVAILABLE');
    const metrics = (await server.fetch('/metrics')).text;
    expect(metrics).toMatch(/^sms_upstream_breaker_openings_total 1$/m);
    expect(metrics).toMatch(/^sms_upstream_reads_refused_total\{reason="breaker"\} [1-9]/m);
  }, 30_000);

  it('draws every retry from one budget for the process: 20 failing reads among 80 good ones make at most 30 retries', async () => {
    const server = await serve({ RATE_LIMIT_TEMPLATES_PER_MINUTE: '0' });
    upstream.route('GET', TEMPLATES, (call) =>
      idsOf(call)[0].startsWith('bad') ? { status: 503, body: {} } : { body: { RetCode: 0, Data: idsOf(call).map((id) => template(id)) } },
    );
    // Five lanes, each four good lookups to one bad one: too few failures to open the breaker.
    await Promise.all(
      Array.from({ length: 5 }, async (_, lane) => {
        for (let round = 0; round < 4; round++) {
          for (const id of ['a', 'b', 'c', 'd', 'bad']) await server.gql(TEMPLATE_QUERY, { ids: [`${id}-${lane}-${round}`] }, ops);
        }
      }),
    );
    const bad = gets().filter((call) => idsOf(call)[0].startsWith('bad'));
    expect(bad.length).toBeGreaterThan(20);
    expect(bad.length).toBeLessThanOrEqual(20 + 30);
    const metrics = (await server.fetch('/metrics')).text;
    expect(metrics).toMatch(/^sms_upstream_reads_refused_total\{reason="retry_budget"\} [1-9]/m);
    expect(metrics).toMatch(/^sms_upstream_breaker_openings_total 0$/m);
  }, 30_000);

  it('keeps at most USPEEDO_LOOKUPS_IN_FLIGHT lookups at uSpeedo at once; the rest wait their turn and are answered', async () => {
    const server = await serve({ USPEEDO_LOOKUPS_IN_FLIGHT: '2', RATE_LIMIT_TEMPLATES_PER_MINUTE: '0' });
    let inFlight = 0;
    let most = 0;
    upstream.route('GET', TEMPLATES, (call) => {
      most = Math.max(most, ++inFlight);
      setTimeout(() => inFlight--, 150);
      return { delayMs: 150, body: { RetCode: 0, Data: idsOf(call).map((id) => template(id)) } };
    });
    const answers = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => (await server.gql(TEMPLATE_QUERY, { ids: [`T${i}`] }, ops)).body.data.smsTemplates),
    );
    expect(answers.every((a) => a.__typename === 'SmsTemplateList')).toBe(true);
    expect(gets()).toHaveLength(6);
    expect(most).toBe(2);
  });
});

describe('the template check cannot be switched off by the batch', () => {
  const check = { SMS_TEMPLATE_CHECK: 'true', RATE_LIMIT_TEMPLATES_PER_MINUTE: '0', MAX_TEMPLATES_PER_REQUEST: '100' };
  const cjk = (i: number) => String.fromCodePoint(0x4e00 + i).repeat(64);

  it('splits a lookup of long ids so no request line passes 2 KB, and still refuses the template under review', async () => {
    const server = await serve(check);
    upstream.route('GET', TEMPLATES, (call) =>
      call.path.length > MAX_LOOKUP_URL_BYTES
        ? { status: 431, body: 'Request Header Fields Too Large' }
        : { body: { RetCode: 0, Data: idsOf(call).map((id) => template(id, id === 'review' ? 1 : 2)) } },
    );
    const tasks = [
      { templateId: 'review', senderId: 'S', target: [{ phone: '13800138000', templateParams: ['1'] }] },
      ...Array.from({ length: 99 }, (_, i) => ({
        templateId: cjk(i),
        senderId: 'S',
        target: [{ phone: '13800138001', templateParams: ['1'] }],
      })),
    ];
    const { body } = await server.gql(SEND_BATCH_SMS, { input: { taskContent: tasks } }, ops);
    expect(body.data.sendBatchSms).toMatchObject({
      code: 'INVALID_INPUT',
      fieldErrors: [{ path: ['taskContent', '0', 'templateId'], message: 'is not approved by uSpeedo (status UNDER_REVIEW)' }],
    });
    expect(gets().length).toBeGreaterThan(1);
    for (const call of gets()) expect(call.path.length).toBeLessThanOrEqual(MAX_LOOKUP_URL_BYTES);
    expect(gets().flatMap(idsOf)).toHaveLength(100);
    expect(posts()).toHaveLength(0);
  });

  it.each([
    ['a 431', { status: 431, body: 'too large' }],
    ['a 400', { status: 400, body: {} }],
    ['a RetCode error', { body: { RetCode: 215397, Message: 'bad request' } }],
    ['an unreadable answer', { body: { RetCode: 0, Data: 'nonsense' } }],
  ])('refuses the batch at its templates when the lookup gets %s, nothing sent', async (_name, reply) => {
    const server = await serve(check);
    upstream.route('GET', TEMPLATES, reply);
    const { body } = await server.gql(SEND_BATCH_SMS, batch([{ phone: '13800138000', templateParams: ['1'] }], 'otp'), ops);
    expect(body.data.sendBatchSms).toMatchObject({
      code: 'INVALID_INPUT',
      fieldErrors: [{ path: ['taskContent', '0', 'templateId'], message: expect.stringMatching(/^could not be checked: uSpeedo refused/) }],
    });
    expect(posts()).toHaveLength(0);
  });

  it("does not let one caller's unknown id make another's template missing", async () => {
    const server = await serve({ ...check, TEMPLATE_CACHE_SECONDS: '300' });
    // uSpeedo's answer to a lookup with any unknown id: "template not found" for all of it.
    upstream.route('GET', TEMPLATES, (call) =>
      idsOf(call).every((id) => id === 'real')
        ? { body: { RetCode: 0, Data: [template('real')] } }
        : { body: { RetCode: 215396, Message: 'template not found' } },
    );
    const probe = (await server.gql(TEMPLATE_QUERY, { ids: ['real', 'nosuch'] }, ops)).body.data.smsTemplates;
    expect(probe).toEqual({
      __typename: 'SmsTemplateList',
      missingTemplateIds: ['nosuch'],
      templates: [{ templateId: 'real', status: 'APPROVED' }],
    });
    const sent = await server.gql(SEND_BATCH_SMS, batch([{ phone: '13800138000', templateParams: ['1'] }], 'real'), ops);
    expect(sent.body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    expect(posts()).toHaveLength(1);
    // Asked together once, then each alone; the send found both in the cache.
    expect(gets().map(idsOf)).toEqual([['real', 'nosuch'], ['real'], ['nosuch']]);
  });
});

/** POSTs to /graphql with node:http, resolving on the answer even when the server stops reading the body. */
function rawRequest(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/graphql`, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    // A refused body may be cut off while it is still being sent: the answer, if any, wins.
    req.on('error', (error) => setTimeout(() => reject(error), 200));
    req.end(body);
  });
}

describe('every refusal is its documented answer, in every posture', () => {
  const postures = {
    simulator: { USPEEDO_SIMULATOR: 'true' },
    hardened: { NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'false', METRICS_PUBLIC: 'false' },
  };
  const send = JSON.stringify({ query: SEND_BATCH_SMS, variables: batch([{ phone: '13800138000' }, { phone: '13800138001' }]) });
  const json = { 'content-type': 'application/json' };
  const query = '{ smsLimits { maxTargetsPerRequest } }';
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');

  it.each(Object.keys(postures) as (keyof typeof postures)[])('%s', async (posture) => {
    const server = await serve({ ...postures[posture], JWT_SECRET: JWT_TEST_SECRET, RATE_LIMIT_CALLER_PER_MINUTE: '1' });
    const reader = bearer(await hsToken({ scope: 'sms:read' }));
    // node:http rather than fetch: a refused body may be cut off while it is still being sent.
    const post = (body: string, headers: Record<string, string>) => async () => {
      const { status, text } = await rawRequest(server.url, body, { ...json, ...headers });
      const parsed = JSON.parse(text);
      return { status, code: parsed.errors?.[0]?.extensions?.code ?? parsed.data?.sendBatchSms?.code };
    };
    const cases: [string, () => Promise<{ status: number; code: string }>, number, string][] = [
      ['no token', post(send, {}), 401, 'UNAUTHENTICATED'],
      ['a bad token', post(send, bearer('usk_nope')), 401, 'UNAUTHENTICATED'],
      ['a read-only token sending', post(send, reader), 403, 'FORBIDDEN'],
      ['over the rate limit', post(send, ops), 200, 'RATE_LIMITED'],
      ['invalid input', post(JSON.stringify({ query: SEND_BATCH_SMS, variables: batch([{ phone: 'x' }]) }), ops), 200, 'INVALID_INPUT'],
      [
        'an APQ hash that does not match',
        post(JSON.stringify({ query, extensions: { persistedQuery: { version: 1, sha256Hash: sha('other') } } }), ops),
        400,
        'BAD_REQUEST',
      ],
      ['an oversized body', post(JSON.stringify({ query, variables: { pad: 'x'.repeat(1_100_000) } }), ops), 413, 'PAYLOAD_TOO_LARGE'],
      ['malformed JSON', post('{"query":', ops), 400, 'BAD_REQUEST'],
      ['a malformed document', post(JSON.stringify({ query: '{ smsLimits {' }), ops), 400, 'GRAPHQL_PARSE_FAILED'],
    ];
    for (const [name, answer, status, code] of cases) {
      expect({ name, ...(await answer()) }).toEqual({ name, status, code });
    }
    expect(server.logs.lines.filter((line) => JSON.parse(line).level >= 50)).toEqual([]);
    expect(server.responses.join('\n')).not.toContain('Internal server error');
  });
});

describe('text rules by Unicode category', () => {
  it.each([
    ['U+2028', 'a\u2028b', /line or paragraph separators/],
    ['U+2029', 'a\u2029b', /line or paragraph separators/],
    ['LRM', 'a\u200eb', /bidirectional/],
    ['RLM', 'a\u200fb', /bidirectional/],
    ['ALM', 'a\u061cb', /bidirectional/],
    ['a zero-width space', 'a\u200bb', /invisible format/],
    ['a BOM', 'a\ufeffb', /invisible format/],
    ['a soft hyphen', 'a\u00adb', /invisible format/],
    ['a tag character', 'a\u{e0041}b', /invisible format/],
    ['U+3164 alone', '\u3164', /blank/],
    ['U+2800 alone', '\u2800', /blank/],
    ['fillers and spaces', ' \u115f\u1160\uffa0 ', /blank/],
  ])('refuses %s in a parameter, a senderId and a templateId', async (_name, text, message) => {
    const server = await serve();
    const { body } = await server.gql(SEND_BATCH_SMS, batch([{ phone: '13800138000', templateParams: [text] }], text, text), ops);
    const errors: { path: string[]; message: string }[] = body.data.sendBatchSms.fieldErrors;
    expect(errors.map((e) => e.path.join('.'))).toEqual([
      'taskContent.0.templateId',
      'taskContent.0.senderId',
      'taskContent.0.target.0.templateParams.0',
    ]);
    for (const error of errors) expect(error.message).toMatch(message);
    expect(upstream.calls).toHaveLength(0);
  });

  it('keeps ZWJ and ZWNJ (emoji sequences, Persian), and refuses private-use characters in identifiers only', async () => {
    const server = await serve();
    const ok = await server.gql(
      SEND_BATCH_SMS,
      batch([{ phone: '13800138000', templateParams: ['👨\u200d👩\u200d👧', 'می\u200cخواهم'] }]),
      ops,
    );
    expect(ok.body.data.sendBatchSms.__typename).toBe('SendBatchSmsSuccess');
    const privateUse = await server.gql(SEND_BATCH_SMS, batch([{ phone: '13800138000', templateParams: ['\ue000'] }], 't\ue000'), ops);
    expect(privateUse.body.data.sendBatchSms.fieldErrors).toEqual([
      { path: ['taskContent', '0', 'templateId'], message: 'must not contain private-use characters' },
    ]);
    expect(posts()).toHaveLength(1);
  });
});

describe('modes enforced, not assumed', () => {
  const mode = (path: string) => statSync(path).mode & 0o777;

  it('mends a 0755 folder and 0644 database, WAL and SHM left by an older version, and says so', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'sms-modes-')), 'state');
    mkdirSync(folder, { mode: 0o755 });
    chmodSync(folder, 0o755);
    const path = join(folder, 'state.db');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE t (x)');
    for (const file of readdirSync(folder)) chmodSync(join(folder, file), 0o644);
    const server = await serve({ STATE_DB_PATH: path });
    old.close();
    await server.gql(SEND_BATCH_SMS, batch([{ phone: '13800138000' }]), ops);
    expect(mode(folder)).toBe(0o700);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) expect([file, mode(file)]).toEqual([file, 0o600]);
    expect(server.logs.text).toMatch(/state file mode was looser than its owner only: mended/);
    expect(server.logs.text).toContain(`${folder} was 0755, now 0700`);
  });

  it('creates the database, WAL and SHM 0600 in a new 0700 folder', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'sms-modes-')), 'new');
    const path = join(folder, 'state.db');
    const server = await serve({ STATE_DB_PATH: path });
    await server.gql(
      SEND_BATCH_SMS,
      { ...batch([{ phone: '13800138000' }]), input: { ...batch([{ phone: '13800138000' }]).input, idempotencyKey: 'k1' } },
      ops,
    );
    expect(mode(folder)).toBe(0o700);
    expect(existsSync(`${path}-wal`)).toBe(true);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect([file, mode(file)]).toEqual([file, 0o600]);
  });

  it('refuses to start in a shared folder such as /tmp, naming it', async () => {
    const shared = mkdtempSync(join(tmpdir(), 'sms-shared-'));
    chmodSync(shared, 0o1777);
    await expect(serve({ STATE_DB_PATH: join(shared, 'state.db') })).rejects.toThrow(`${shared} is a shared folder (sticky, like /tmp)`);
  });
});

describe("uSpeedo's Message bounded and cleaned", () => {
  it('redacts the secret in every form, removes controls and bidi, keeps 500 characters, and stores no more', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sms-message-'));
    const path = join(folder, 'state.db');
    const server = await serve({ STATE_DB_PATH: path });
    const forms = [
      encodeURIComponent(TEST_SECRET),
      TEST_SECRET.slice(0, 12),
      Buffer.from(TEST_SECRET).toString('base64'),
      Buffer.from(TEST_SECRET).toString('base64url'),
    ];
    const Message = `refused: ${forms.join(' | ')} \u202eevil\u2066 \u0007 ${'x'.repeat(5 * 1024 * 1024)}`;
    upstream.reply({ body: { RetCode: 215397, Message } });
    const input = { ...batch([{ phone: '13800138000' }]).input, idempotencyKey: 'big-message' };
    const { body } = await server.gql(SEND_BATCH_SMS, { input }, ops);
    const message: string = body.data.sendBatchSms.message;
    expect([...message].length).toBeLessThanOrEqual(600);
    expect(message.startsWith('refused: [redacted] | [redacted] | [redacted] | [redacted] evil ')).toBe(true);
    for (const form of forms) expect(JSON.stringify(body)).not.toContain(form);
    for (const unshowable of ['\u202e', '\u2066', '\u0007']) expect(message).not.toContain(unshowable);
    await server.close();
    const stored = readdirSync(folder).reduce((sum, file) => sum + statSync(join(folder, file)).size, 0);
    expect(stored).toBeLessThan(200_000);
  });
});

describe('token lifetime bounded by default', () => {
  it('refuses on a hardened server a JWT issued 30 days ago though it expires in 100 years; accepts a fresh one', async () => {
    const server = await serve({ NODE_ENV: 'production', JWT_SECRET: JWT_TEST_SECRET });
    const old = await hsToken({ scope: 'sms:send', age: 30 * 86400, exp: 100 * 365 * 86400 });
    expect((await server.gql(SEND_BATCH_SMS, batch([{ phone: '13800138000' }]), bearer(old))).status).toBe(401);
    const fresh = await hsToken({ scope: 'sms:send', exp: 100 * 365 * 86400 });
    expect((await server.gql(SEND_BATCH_SMS, batch([{ phone: '13800138000' }]), bearer(fresh))).body.data.sendBatchSms.__typename).toBe(
      'SendBatchSmsSuccess',
    );
    expect(posts()).toHaveLength(1);
  });
});
