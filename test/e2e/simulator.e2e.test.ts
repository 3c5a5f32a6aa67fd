import { batch, SEND_BATCH_SMS, startServer, type TestServer } from '../support/server';

// The simulator's magic values, as docs/frontend.md documents them, through the whole server.
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ USPEEDO_SIMULATOR: 'true', USPEEDO_TIMEOUT_MS: '200' });
});
afterAll(() => server.close());

const send = async (templateId: string, phones = ['13800138000']) => {
  const { body } = await server.gql(
    SEND_BATCH_SMS,
    batch(
      phones.map((phone) => ({ phone, templateParams: ['1'] })),
      templateId,
    ),
  );
  return body.data.sendBatchSms;
};

describe('the simulator', () => {
  it('answers a success with a session number and a request uuid', async () => {
    expect(await send('template_id_1')).toMatchObject({
      __typename: 'SendBatchSmsSuccess',
      sessionNos: [expect.stringMatching(/^sim-/)],
      failedTargetPhones: [],
      message: 'success',
      requestUuid: expect.stringMatching(/^sim-/),
    });
  });

  it('fails phones ending in 0000, as uSpeedo reports them', async () => {
    expect(await send('t', ['+85255310000', '13800138000', '(852)55320000'])).toMatchObject({
      __typename: 'SendBatchSmsSuccess',
      failedTargetPhones: [
        { phone: '(852)55310000', templateParams: ['1'], failureReason: 'phone in the black list (simulated)' },
        { phone: '(852)55320000', templateParams: ['1'], failureReason: 'phone in the black list (simulated)' },
      ],
    });
  });

  it('gives no session number when every phone failed', async () => {
    expect((await send('t', ['+85255310000'])).sessionNos).toEqual([]);
  });

  it.each([
    ['RETCODE_215392', { code: 'PARAMETER_ERROR', retCode: 215392, message: 'Invalid parameter [TemplateId]' }],
    ['RETCODE_215397', { code: 'MISSING_PARAMETER', retCode: 215397 }],
    ['RETCODE_215398', { code: 'UPSTREAM_AUTH_FAILED', retCode: 215398 }],
    ['RETCODE_215400', { code: 'UPSTREAM_SERVER_ERROR', retCode: 215400 }],
    ['RETCODE_999', { code: 'UPSTREAM_REJECTED', retCode: 999 }],
    ['HTTP_429', { code: 'UPSTREAM_HTTP_ERROR', httpStatus: 429, retryable: true, retryAfterSeconds: 30 }],
    ['HTTP_401', { code: 'UPSTREAM_AUTH_FAILED', httpStatus: 401 }],
    ['HTTP_503', { code: 'UPSTREAM_HTTP_ERROR', httpStatus: 503, retryable: false }],
    ['TIMEOUT', { code: 'UPSTREAM_TIMEOUT', retryable: false }],
    ['UNAVAILABLE', { code: 'UPSTREAM_UNAVAILABLE', retryable: true }],
    ['CONNECTION_LOST', { code: 'UPSTREAM_UNAVAILABLE', retryable: false }],
    ['INVALID_RESPONSE', { code: 'INVALID_UPSTREAM_RESPONSE', httpStatus: 200, retryable: false }],
  ])('%s', async (templateId, expected) => {
    expect(await send(templateId)).toMatchObject({ __typename: 'SendBatchSmsError', ...expected });
  });

  it('checks the input first, as always', async () => {
    expect(await send('RETCODE_215392', ['not a phone'])).toMatchObject({ code: 'INVALID_INPUT' });
  });
});
