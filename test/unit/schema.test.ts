import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { printGraphQLSchema } from '../../src/graphql/schema';

describe('schema/schema.graphql', () => {
  it('is exactly what the code builds (run `npm run schema` after changing a type)', () => {
    expect(readFileSync(join(__dirname, '../../schema/schema.graphql'), 'utf8')).toBe(printGraphQLSchema());
  });

  it('keeps the public contract names', () => {
    const sdl = printGraphQLSchema();
    for (const name of [
      'sendBatchSms(input: SendBatchSmsInput!): SendBatchSmsResult!',
      'smsLimits: SmsLimits!',
      'union SendBatchSmsResult = SendBatchSmsError | SendBatchSmsSuccess',
      'retryable: Boolean!',
      'fieldErrors: [FieldError!]!',
      'templateParams: [String!]\n',
    ]) {
      expect(sdl).toContain(name);
    }
  });
});
