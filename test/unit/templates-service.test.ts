import { sendMetrics } from '../../src/sms/send/send.metrics';
import type { FastifyBaseLogger } from 'fastify';
import { RateLimiter } from '../../src/guard/rate-limits';
import { SqliteStateStore } from '../../src/guard/sqlite-state-store';
import { LookupRefusals } from '../../src/sms/lookups/lookup-refusals';
import { TemplatesService } from '../../src/sms/lookups/templates.service';
import type { SendBatchSmsInput } from '../../src/sms/send/send-batch-sms.input';
import { TemplateCheck } from '../../src/sms/send/template-check';
import { SmsMetrics } from '../../src/sms/shared/sms.metrics';
import { readUpstream } from '../../src/uspeedo/upstream-answer';
import { readTemplates, type TemplateRecord } from '../../src/uspeedo/lookup-records';
import type { RecordsAnswer } from '../../src/uspeedo/uspeedo.api';
import { uspeedoTemplate } from '../support/fake-uspeedo';
import { NO_LIMITS } from '../support/limits';

// Templates against a fake uSpeedo that answers as the real one does: RetCode 215396 for a whole
// lookup when any of its ids is unknown. Each answer goes through the real classification.
const log = { info() {}, warn() {}, error() {} } as unknown as FastifyBaseLogger;
const KNOWN: Record<string, object> = { T1: uspeedoTemplate('T1', 'Code {1}'), T2: uspeedoTemplate('T2', 'Hello', 1) };

function answer(status: number, body: object): RecordsAnswer<Map<string, TemplateRecord>> {
  const read = readUpstream({ kind: 'answered', status, body: JSON.stringify(body), requestUuid: 'u-1', retryAfter: null });
  if (!read.ok) return { ok: false, failure: read };
  const records = readTemplates(read.json);
  return records
    ? { ok: true, records, requestUuid: read.requestUuid }
    : { ok: false, failure: 'unreadable', requestUuid: read.requestUuid };
}

/** No budget: every GET may be made. */
const free = async () => null;
const caller = { id: 'k1', kind: 'api-key', canSend: true } as const;

function setup(options: { down?: number; cacheSeconds?: number; templatesPerMinute?: number } = {}) {
  const asked: string[][] = [];
  const uspeedo = {
    chunks: (_kind: string, ids: readonly string[]) => (ids.length > 0 ? [[...ids]] : []),
    async templates(ids: readonly string[]) {
      asked.push([...ids]);
      if (options.down) return answer(options.down, { Message: 'unavailable' });
      if (ids.some((id) => !KNOWN[id])) return answer(200, { RetCode: 215396, Message: 'template not found' });
      return answer(200, { RetCode: 0, Data: ids.map((id) => KNOWN[id]) });
    },
  };
  const store = new SqliteStateStore(':memory:');
  const shared = new SmsMetrics();
  const metrics = sendMetrics(shared.registry);
  const refusals = new LookupRefusals(
    { operation: 'templates', query: 'smsTemplates' },
    new RateLimiter(store, { ...NO_LIMITS, templatesPerMinute: options.templatesPerMinute ?? 0 }),
    shared,
  );
  const templates = new TemplatesService(uspeedo, refusals, options.cacheSeconds ?? 60);
  return { templates, refusals, check: new TemplateCheck(templates, metrics), metrics, asked, store };
}

const batch = (...tasks: [string, number][]) =>
  ({
    taskContent: tasks.map(([templateId, params]) => ({
      templateId,
      senderId: 'USpeedo',
      target: [{ phone: '+8613800138000', templateParams: Array.from({ length: params }, () => 'x') }],
    })),
  }) as unknown as SendBatchSmsInput;

describe('TemplatesService.lookup', () => {
  it('asks again id by id when uSpeedo does not know one of a lookup, and caches as missing only an id asked alone', async () => {
    const { templates, asked, store } = setup();
    const first = await templates.lookup(['T1', 'NOPE', 'T2'], log, free);
    expect(first.ok && Object.fromEntries([...first.templates].map(([id, t]) => [id, t?.status ?? null]))).toEqual({
      T1: 'APPROVED',
      NOPE: null,
      T2: 'UNDER_REVIEW',
    });
    expect(asked).toEqual([['T1', 'NOPE', 'T2'], ['T1'], ['NOPE'], ['T2']]);
    // All three cached now, the missing one too: it was asked alone.
    await templates.lookup(['NOPE', 'T1'], log, free);
    expect(asked).toHaveLength(4);
    await store.close();
  });

  it('never caches a template as missing from a lookup of several ids that answered without it', async () => {
    const { refusals, asked, store } = setup();
    const partial = {
      chunks: (_kind: string, ids: readonly string[]) => [[...ids]],
      async templates(ids: readonly string[]) {
        asked.push([...ids]);
        return answer(200, { RetCode: 0, Data: [KNOWN.T1] });
      },
    };
    const service = new TemplatesService(partial, refusals, 60);
    const first = await service.lookup(['T1', 'T2'], log, free);
    expect(first.ok && first.templates.get('T2')).toBeNull();
    await service.lookup(['T2'], log, free);
    expect(asked).toEqual([['T1', 'T2'], ['T2']]);
    await store.close();
  });
});

describe('the template budget', () => {
  it('charges every GET before it is made, the ids asked alone after "not found" too, and makes none past the budget', async () => {
    const { templates, asked, store } = setup({ templatesPerMinute: 5, cacheSeconds: 0 });
    const budget = templates.budgetFor(caller);
    // 3 ids in one GET, then (not found) each alone: 6 ids, one over the budget of 5.
    const lookup = await templates.lookup(['T1', 'NOPE', 'T2'], log, budget);
    expect(lookup).toMatchObject({ ok: false, failure: 'over-budget' });
    expect(asked).toEqual([['T1', 'NOPE', 'T2'], ['T1'], ['NOPE']]);
    await store.close();
  });

  it('does not charge again what smsTemplates paid for up front, only the GETs beyond the first for each id', async () => {
    const { templates, asked, store } = setup({ templatesPerMinute: 6, cacheSeconds: 0 });
    const budget = templates.budgetFor(caller, ['T1', 'NOPE', 'T2']);
    expect((await templates.lookup(['T1', 'NOPE', 'T2'], log, budget)).ok).toBe(true);
    expect(asked).toHaveLength(4);
    await store.close();
  });

  it('keeps unknown ids in a cache of their own: they answer missing without a GET and push out no template', async () => {
    const { templates, asked, store } = setup();
    await templates.lookup(['T1'], log, free);
    for (let i = 0; i < 6_000; i++) await templates.lookup([`NOPE${i}`], log, free);
    asked.length = 0;
    const again = await templates.lookup(['T1', 'NOPE5999'], log, free);
    expect(again.ok && again.templates.get('NOPE5999')).toBeNull();
    expect(asked).toEqual([]);
    await store.close();
  });
});

const problemsOf = async (check: TemplateCheck, input: SendBatchSmsInput, logger: FastifyBaseLogger) =>
  (await check.check(input, caller, logger)).problems;

describe('TemplateCheck.check', () => {
  it('refuses a template uSpeedo does not know, one not approved, and a target with the wrong number of params, each at its path', async () => {
    const { check, store } = setup();
    expect(await problemsOf(check, batch(['T1', 2], ['NOPE', 0], ['T2', 0]), log)).toEqual([
      { path: ['taskContent', '0', 'target', '0', 'templateParams'], message: 'must have 1 entry for this template (found 2)' },
      { path: ['taskContent', '1', 'templateId'], message: 'is not a template uSpeedo knows' },
      { path: ['taskContent', '2', 'templateId'], message: 'is not approved by uSpeedo (status UNDER_REVIEW)' },
    ]);
    expect(await problemsOf(check, batch(['T1', 1]), log)).toEqual([]);
    await store.close();
  });

  it('skips the check, counted, when the lookup failed on the way (a 503), and refuses the batch when uSpeedo refused it (a 400)', async () => {
    const down = setup({ down: 503 });
    expect(await problemsOf(down.check, batch(['T1', 5]), log)).toEqual([]);
    expect((await down.metrics.templateCheckSkipped.get()).values[0].value).toBe(1);
    const refused = setup({ down: 400 });
    expect(await problemsOf(refused.check, batch(['T1', 1]), log)).toEqual([
      {
        path: ['taskContent', '0', 'templateId'],
        message: 'could not be checked: uSpeedo refused the template lookup (UPSTREAM_HTTP_ERROR); nothing was sent',
      },
    ]);
    await down.store.close();
    await refused.store.close();
  });

  it("answers overBudget for a send's check and leaves a preview's unchecked, asking nothing past the budget", async () => {
    const { templates, metrics, asked, store } = setup({ templatesPerMinute: 1, cacheSeconds: 0 });
    expect(await new TemplateCheck(templates, metrics).check(batch(['T1', 1], ['T2', 0]), caller, log)).toMatchObject({
      problems: [],
      templates: null,
      overBudget: expect.any(Number),
    });
    const preview = await new TemplateCheck(templates, null, false).check(batch(['T1', 1], ['T2', 0]), caller, log);
    expect(preview).toEqual({ problems: [], templates: null });
    expect(asked).toEqual([]);
    expect((await metrics.templateCheckSkipped.get()).values[0].value).toBe(0);
    await store.close();
  });
});
