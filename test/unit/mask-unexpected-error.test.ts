import { maskUnexpectedError } from '../../src/graphql/errors';

describe('maskUnexpectedError (production)', () => {
  it('replaces the message and drops everything else of an unexpected error', () => {
    expect(
      maskUnexpectedError({
        message: 'connect ECONNREFUSED /var/run/secret.sock',
        path: ['sendBatchSms'],
        extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x (/app/src/a.ts:1:1)'] },
      }),
    ).toEqual({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });

  it('leaves the errors a client can act on alone', () => {
    const error = {
      message: 'Variable "$input" of required type "SendBatchSmsInput!" was not provided.',
      extensions: { code: 'BAD_USER_INPUT' },
    };
    expect(maskUnexpectedError(error)).toBe(error);
  });
});
