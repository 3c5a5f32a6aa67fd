import { sessionStatus, SmsReceiptStatus, type SmsReceipt } from '../../src/sms/lookups/sms-delivery-status.result';
import { expectedReceipts } from '../../src/sms/send/expected-receipts';
import { success, type FailedTargetPhone } from '../../src/sms/send/send-batch-sms.result';

// Two tasks: three targets, then two.
const recipients = [
  { e164: '+8613800000001', task: 0, target: 0 },
  { e164: '+8613800000002', task: 0, target: 1 },
  { e164: '+8613800000003', task: 0, target: 2 },
  { e164: '+85255310000', task: 1, target: 0 },
  { e164: '+85255310001', task: 1, target: 1 },
];
const failedAt = (task: number, target: number): FailedTargetPhone => ({
  phone: 'x',
  e164: 'x',
  failureReason: 'refused',
  templateParams: [],
  path: ['taskContent', String(task), 'target', String(target)],
});
const answered = (sessionNos: string[], failed: FailedTargetPhone[] = []) =>
  success({ sessionNos, failedTargetPhones: failed, message: '', requestUuid: null });

describe('expectedReceipts', () => {
  it('gives one session for the batch every recipient uSpeedo accepted', () => {
    expect(expectedReceipts(answered(['S']), recipients)).toEqual([{ sessionNo: 'S', expected: 5 }]);
    expect(expectedReceipts(answered(['S'], [failedAt(1, 0)]), recipients)).toEqual([{ sessionNo: 'S', expected: 4 }]);
  });

  it("gives one session per task its own task's accepted recipients, failures taken off their own task", () => {
    expect(expectedReceipts(answered(['A', 'B'], [failedAt(0, 2), failedAt(0, 0)]), recipients)).toEqual([
      { sessionNo: 'A', expected: 1 },
      { sessionNo: 'B', expected: 2 },
    ]);
  });

  it('says nothing when sessions cannot be matched to tasks, or a failure to its row', () => {
    const unknown = (sessionNos: string[]) => sessionNos.map((sessionNo) => ({ sessionNo, expected: null }));
    expect(expectedReceipts(answered(['A', 'B', 'C']), recipients)).toEqual(unknown(['A', 'B', 'C']));
    const unplaced = { ...failedAt(0, 0), path: [] };
    expect(expectedReceipts(answered(['A', 'B'], [unplaced]), recipients)).toEqual(unknown(['A', 'B']));
  });
});

describe('sessionStatus: final', () => {
  const receipt = (status: SmsReceiptStatus): SmsReceipt => ({
    phone: '8613800000001',
    status,
    receiptCode: null,
    description: null,
    billedSegments: 1,
    receivedAt: null,
    countryCode: '86',
  });
  const { DELIVERED, FAILED, SUBMIT_FAILED, UNKNOWN } = SmsReceiptStatus;

  it.each([
    ['known, every expected receipt final', true, 2, [DELIVERED, FAILED], true],
    ['a receipt still UNKNOWN', true, 2, [DELIVERED, UNKNOWN], false],
    ['fewer receipts than expected', true, 3, [DELIVERED, SUBMIT_FAILED], false],
    ['nothing expected is known: one final receipt is enough', true, null, [FAILED], true],
    ['nothing expected is known and no receipt yet', true, null, [], false],
    ['no recipient accepted: nothing to wait for', true, 0, [], true],
    ['not known', false, null, [], false],
  ] as const)('%s', (_case, known, expected, statuses, final) => {
    const status = sessionStatus('S', known, expected, statuses.map(receipt));
    expect(status.final).toBe(final);
    expect(status.expectedReceipts).toBe(known ? expected : null);
  });
});
