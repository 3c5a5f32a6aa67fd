import { prepareBatch } from '../../src/sms/prepare-batch';
import { SMS_LIMIT_CEILINGS } from '../../src/sms/sms-limits';
import { inputOf } from '../support/input';

describe('prepareBatch', () => {
  it("builds the spec's body: keys in the spec's order, TemplateParams only where given", () => {
    const prepared = prepareBatch(
      inputOf({
        taskContent: [
          { templateId: 'template_id_1', senderId: 'USpeedo', target: [{ phone: '13800138000', templateParams: ['123456'] }, { phone: '+85255311111' }] },
          { templateId: 't2', senderId: 'S', target: [{ phone: '(852)55311112', templateParams: [] }, { phone: '13900139000', templateParams: null }] },
        ],
      }),
      SMS_LIMIT_CEILINGS,
    );
    expect(prepared.ok).toBe(true);
    if (!prepared.ok) return;
    expect(prepared.recipients).toBe(4);
    expect(JSON.stringify(prepared.request)).toBe(
      '{"TaskContent":[{"TemplateId":"template_id_1","SenderId":"USpeedo","Target":[{"Phone":"13800138000","TemplateParams":["123456"]},{"Phone":"(852)55311111"}]},' +
        '{"TemplateId":"t2","SenderId":"S","Target":[{"Phone":"(852)55311112"},{"Phone":"13900139000"}]}]}',
    );
  });

  it('lists errors in document order, target 10 after target 9', () => {
    const target = Array.from({ length: 11 }, () => ({ phone: 'x' }));
    const prepared = prepareBatch(inputOf({ taskContent: [{ templateId: '', senderId: 'S', target }] }), SMS_LIMIT_CEILINGS);
    expect(prepared.ok).toBe(false);
    if (prepared.ok) return;
    expect(prepared.fieldErrors.map((e) => e.path.join('.'))).toEqual([
      ...target.map((_, i) => `taskContent.0.target.${i}.phone`),
      'taskContent.0.templateId',
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
      fieldErrors: [{ path: ['taskContent', '0', 'target', '0', 'templateParams'], message: 'must contain at most 0 entries' }],
    });
  });
});
