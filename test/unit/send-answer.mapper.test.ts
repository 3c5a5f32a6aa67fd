import { SendBatchSmsError, SendBatchSmsSuccess } from '../../src/sms/send/send-batch-sms.result';
import { readUpstream, retryAfterSeconds } from '../../src/uspeedo/upstream-answer';
import { cleanUpstreamText } from '../../src/uspeedo/upstream-text';
import { mapSendAnswer } from '../../src/sms/send/send-answer.mapper';
import { readSendAnswer } from '../../src/uspeedo/send-answer';
import type { UspeedoExchange } from '../../src/uspeedo/uspeedo.client';

// What the send does with an exchange: uSpeedo's classification, then the mapping to the result union.
const mapUspeedoExchange = (exchange: UspeedoExchange, redact = (text: string) => text) =>
  mapSendAnswer(readSendAnswer(readUpstream(exchange, redact), (text) => cleanUpstreamText(text, redact)));

const answered = (status: number, body: unknown, extra: Partial<Extract<UspeedoExchange, { kind: 'answered' }>> = {}): UspeedoExchange => ({
  kind: 'answered',
  status,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  requestUuid: 'uuid-1',
  retryAfter: null,
  ...extra,
});

describe('mapUspeedoExchange', () => {
  it('maps RetCode 0 to a success with every field', () => {
    const result = mapUspeedoExchange(
      answered(200, {
        RetCode: 0,
        Message: 'success',
        SessionNo: ['a', 'b'],
        FailedTargetPhones: [
          { Phone: '(852)55310000', TemplateParams: ['p'], FailureReason: 'black list' },
          { Phone: '1', TemplateParams: [], FailureReason: 'unreadable number' },
        ],
      }),
    );
    expect(result).toBeInstanceOf(SendBatchSmsSuccess);
    // The rows are the send's to find (failed-rows.ts); the number is read here, or kept as written.
    expect({ ...result }).toEqual({
      sessionNos: ['a', 'b'],
      failedTargetPhones: [
        { phone: '(852)55310000', templateParams: ['p'], failureReason: 'black list', e164: '+85255310000', path: [] },
        { phone: '1', templateParams: [], failureReason: 'unreadable number', e164: '1', path: [] },
      ],
      message: 'success',
      requestUuid: 'uuid-1',
    });
  });

  it('reads a missing SessionNo as none and a failed target without params as []', () => {
    const result = mapUspeedoExchange(
      answered(200, { RetCode: 0, FailedTargetPhones: [{ Phone: '1', FailureReason: 'x' }] }),
    ) as SendBatchSmsSuccess;
    expect(result.sessionNos).toEqual([]);
    expect(result.failedTargetPhones[0].templateParams).toEqual([]);
    expect(result.message).toBe('');
  });

  it.each<[string, UspeedoExchange, Partial<SendBatchSmsError>]>([
    [
      '215392',
      answered(200, { RetCode: 215392, Message: 'm' }),
      { code: 'PARAMETER_ERROR', retCode: 215392, httpStatus: 200, message: 'm' },
    ],
    ['215397', answered(200, { RetCode: 215397 }), { code: 'MISSING_PARAMETER', message: 'uSpeedo answered RetCode 215397.' }],
    ['215400', answered(200, { RetCode: 215400 }), { code: 'UPSTREAM_SERVER_ERROR' }],
    ['215398', answered(200, { RetCode: 215398 }), { code: 'UPSTREAM_AUTH_FAILED' }],
    ['other RetCode', answered(200, { RetCode: -1 }), { code: 'UPSTREAM_REJECTED', retCode: -1 }],
    ['401', answered(401, ''), { code: 'UPSTREAM_AUTH_FAILED', httpStatus: 401 }],
    ['403', answered(403, ''), { code: 'UPSTREAM_AUTH_FAILED', httpStatus: 403 }],
    ['429', answered(429, '', { retryAfter: '3' }), { code: 'UPSTREAM_HTTP_ERROR', retryable: true, retryAfterSeconds: 3 }],
    ['500', answered(500, ''), { code: 'UPSTREAM_HTTP_ERROR', retryable: false, message: 'uSpeedo answered HTTP 500.' }],
    ['not JSON', answered(200, 'nope'), { code: 'INVALID_UPSTREAM_RESPONSE', retryable: false }],
    ['a JSON array', answered(200, [1]), { code: 'INVALID_UPSTREAM_RESPONSE' }],
    ['a fractional RetCode', answered(200, { RetCode: 0.5 }), { code: 'INVALID_UPSTREAM_RESPONSE' }],
    ['SessionNo of numbers', answered(200, { RetCode: 0, SessionNo: [1] }), { code: 'INVALID_UPSTREAM_RESPONSE', retCode: 0 }],
    ['refused', { kind: 'not-sent', cause: 'ECONNREFUSED' }, { code: 'UPSTREAM_UNAVAILABLE', retryable: true }],
    [
      'reset',
      { kind: 'connection-lost', cause: 'ECONNRESET', status: null, requestUuid: null },
      { code: 'UPSTREAM_UNAVAILABLE', retryable: false },
    ],
    ['timeout', { kind: 'timeout', status: null, requestUuid: null }, { code: 'UPSTREAM_TIMEOUT', retryable: false }],
    [
      'too large',
      { kind: 'too-large', status: 200, requestUuid: 'u' },
      { code: 'INVALID_UPSTREAM_RESPONSE', httpStatus: 200, requestUuid: 'u', retryable: false },
    ],
  ])('%s', (_name, exchange, expected) => {
    const result = mapUspeedoExchange(exchange);
    expect(result).toBeInstanceOf(SendBatchSmsError);
    expect(result).toMatchObject({ fieldErrors: [], ...expected });
  });
});

describe('retryAfterSeconds', () => {
  it('reads seconds and HTTP dates, and ignores garbage', () => {
    const now = Date.parse('2026-11-25T12:00:00Z');
    expect(retryAfterSeconds('120', now)).toBe(120);
    expect(retryAfterSeconds('Wed, 25 Nov 2026 12:00:30 GMT', now)).toBe(30);
    expect(retryAfterSeconds('Wed, 25 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(retryAfterSeconds('soon', now)).toBeNull();
    expect(retryAfterSeconds(null, now)).toBeNull();
  });
});
