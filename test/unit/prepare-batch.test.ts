import fc from 'fast-check';
import { prepareBatch } from '../../src/sms/send/prepare-batch';
import { SMS_LIMIT_CEILINGS } from '../../src/sms/shared/sms-limits';
import { inputOf } from '../support/input';
import { prepareBatchReference } from '../support/prepare-batch.reference';

describe('prepareBatch', () => {
  it("builds the spec's body: keys in the spec's order, TemplateParams only where given", () => {
    const prepared = prepareBatch(
      inputOf({
        taskContent: [
          {
            templateId: 'template_id_1',
            senderId: 'USpeedo',
            target: [{ phone: '13800138000', templateParams: ['123456'] }, { phone: '+85255311111' }],
          },
          {
            templateId: 't2',
            senderId: 'S',
            target: [
              { phone: '(852)55311112', templateParams: [] },
              { phone: '13900139000', templateParams: null },
            ],
          },
        ],
      }),
      SMS_LIMIT_CEILINGS,
    );
    expect(prepared.ok).toBe(true);
    if (!prepared.ok) return;
    expect(prepared.recipients).toEqual([
      { e164: '+8613800138000', task: 0, target: 0, countryCode: '86' },
      { e164: '+85255311111', task: 0, target: 1, countryCode: '852' },
      { e164: '+85255311112', task: 1, target: 0, countryCode: '852' },
      { e164: '+8613900139000', task: 1, target: 1, countryCode: '86' },
    ]);
    expect(JSON.stringify(prepared.request)).toBe(
      '{"TaskContent":[{"TemplateId":"template_id_1","SenderId":"USpeedo","Target":[{"Phone":"13800138000","TemplateParams":["123456"]},{"Phone":"(852)55311111"}]},' +
        '{"TemplateId":"t2","SenderId":"S","Target":[{"Phone":"(852)55311112"},{"Phone":"13900139000"}]}]}',
    );
  });

  it('lists errors in document order (templateId, senderId, target), target 10 after target 9', () => {
    const target = Array.from({ length: 11 }, () => ({ phone: 'x' }));
    const prepared = prepareBatch(inputOf({ taskContent: [{ templateId: '', senderId: 'S', target }] }), SMS_LIMIT_CEILINGS);
    expect(prepared.ok).toBe(false);
    if (prepared.ok) return;
    expect(prepared.fieldErrors.map((e) => e.path.join('.'))).toEqual([
      'taskContent.0.templateId',
      ...target.map((_, i) => `taskContent.0.target.${i}.phone`),
    ]);
  });

  it('allows the same phone in two different tasks', () => {
    const task = { templateId: 't', senderId: 'S', target: [{ phone: '13800138000' }] };
    expect(prepareBatch(inputOf({ taskContent: [task, task] }), SMS_LIMIT_CEILINGS).ok).toBe(true);
  });

  it('with no template params allowed, refuses any', () => {
    const prepared = prepareBatch(
      inputOf({ taskContent: [{ templateId: 't', senderId: 'S', target: [{ phone: '13800138000', templateParams: ['1'] }] }] }),
      { ...SMS_LIMIT_CEILINGS, maxTemplateParamsPerTarget: 0 },
    );
    expect(prepared).toEqual({
      ok: false,
      code: 'INVALID_INPUT',
      fieldErrors: [{ path: ['taskContent', '0', 'target', '0', 'templateParams'], message: 'must contain at most 0 entries (found 1)' }],
    });
  });

  const mixed = () =>
    inputOf({
      taskContent: [
        { templateId: 't', senderId: 'S', target: [{ phone: '13800138000' }, { phone: '+85255311111' }, { phone: '+12025550143' }] },
      ],
    });

  it('refuses numbers outside ALLOWED_COUNTRY_CODES as DESTINATION_NOT_ALLOWED, beside each number', () => {
    expect(prepareBatch(mixed(), SMS_LIMIT_CEILINGS, ['86'])).toEqual({
      ok: false,
      code: 'DESTINATION_NOT_ALLOWED',
      fieldErrors: [
        { path: ['taskContent', '0', 'target', '1', 'phone'], message: 'is in country code +852, which this server does not send to' },
        { path: ['taskContent', '0', 'target', '2', 'phone'], message: 'is in country code +1, which this server does not send to' },
      ],
    });
    expect(prepareBatch(mixed(), SMS_LIMIT_CEILINGS, ['86', '852', '1']).ok).toBe(true);
    expect(prepareBatch(mixed(), SMS_LIMIT_CEILINGS, []).ok).toBe(true);
  });

  it('reports bad input and disallowed destinations together as INVALID_INPUT', () => {
    const input = mixed();
    input.taskContent[0].templateId = ' ';
    const prepared = prepareBatch(input, SMS_LIMIT_CEILINGS, ['86']);
    expect(prepared.ok || prepared.code).toBe('INVALID_INPUT');
    expect(prepared.ok || prepared.fieldErrors.map((e) => e.path.join('.'))).toEqual([
      'taskContent.0.templateId',
      'taskContent.0.target.1.phone',
      'taskContent.0.target.2.phone',
    ]);
  });

  it.each([
    ['', 'must be 1 to 255 characters'],
    ['k'.repeat(256), 'must be 1 to 255 characters'],
    ['tab\there', 'must contain only printable ASCII characters'],
    ['ключ', 'must contain only printable ASCII characters'],
  ])('refuses idempotencyKey %j', (idempotencyKey, message) => {
    const input = inputOf({ taskContent: [{ templateId: 't', senderId: 'S', target: [{ phone: '13800138000' }] }], idempotencyKey });
    expect(prepareBatch(input, SMS_LIMIT_CEILINGS)).toEqual({
      ok: false,
      code: 'INVALID_INPUT',
      fieldErrors: [{ path: ['idempotencyKey'], message }],
    });
  });

  it('accepts a 255-character printable idempotencyKey', () => {
    const input = inputOf({
      taskContent: [{ templateId: 't', senderId: 'S', target: [{ phone: '13800138000' }] }],
      idempotencyKey: ` ~${'k'.repeat(253)}`,
    });
    expect(prepareBatch(input, SMS_LIMIT_CEILINGS).ok).toBe(true);
  });
});

// The one-pass prepareBatch must answer exactly as the straightforward one it replaced: the same
// body, recipients, codes, messages, paths and order.
describe('prepareBatch agrees with the reference implementation', () => {
  const phone = fc.oneof(
    fc.constantFrom(
      '13800138000',
      '+8613800138000',
      '(86)13800138000',
      '8613800138000',
      '+85255311111',
      '(852)55311111',
      '+12025550143',
      '+6591234567',
      '12345',
      'x',
      '',
    ),
    fc.stringMatching(/^1[3-9][0-9]{9}$/),
    fc.stringMatching(/^\+852[5-9][0-9]{7}$/),
    fc.stringMatching(/^\+?[0-9]{1,14}$/),
  );
  const text = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.constantFrom('', ' ', '\u0007', '🙂🙂🙂🙂'),
  );
  const target = fc.record({ phone, templateParams: fc.option(fc.array(text, { maxLength: 4 }), { nil: undefined }) });
  // Around the fixed maxima too: 64 for templateId, 255 for idempotencyKey.
  const long = (min: number, max: number) =>
    fc.oneof(fc.string({ minLength: min, maxLength: max }), fc.string({ unit: 'grapheme', minLength: min, maxLength: max }));
  const task = fc.record({ templateId: fc.oneof(text, long(62, 66)), senderId: text, target: fc.array(target, { maxLength: 8 }) });
  const idempotencyKey = fc.option(fc.oneof(text, long(253, 257)), { nil: null });
  const batch = fc.record({ taskContent: fc.array(task, { maxLength: 3 }), idempotencyKey: fc.option(idempotencyKey, { nil: undefined }) });
  const limits = fc.record({
    maxTasksPerRequest: fc.integer({ min: 1, max: 3 }),
    maxTargetsPerRequest: fc.integer({ min: 1, max: 20 }),
    maxSenderIdLength: fc.integer({ min: 1, max: 11 }),
    maxTemplateParamsPerTarget: fc.integer({ min: 0, max: 4 }),
    maxTemplateParamLength: fc.integer({ min: 1, max: 10 }),
  });
  const countries = fc.constantFrom([], ['86'], ['852', '65']);

  it('on generated batches, limits and country lists', () => {
    fc.assert(
      fc.property(batch, limits, countries, (plain, max, allowed) => {
        const input = inputOf(plain);
        const limitValues = { ...SMS_LIMIT_CEILINGS, ...max };
        expect(prepareBatch(input, limitValues, allowed)).toEqual(prepareBatchReference(input, limitValues, allowed));
      }),
      { numRuns: 3000, seed: 6 },
    );
  });
});
