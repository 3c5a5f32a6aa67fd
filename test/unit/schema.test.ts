import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { printGraphQLSchema, printPossibleTypes } from '../../src/graphql/schema';

describe('schema/schema.graphql', () => {
  it('is exactly what the code builds (run `npm run schema` after changing a type)', () => {
    expect(readFileSync(join(__dirname, '../../schema/schema.graphql'), 'utf8')).toBe(printGraphQLSchema());
  });

  it("ships possibleTypes as the code builds them, exactly as GraphQL Code Generator's fragment-matcher writes them", () => {
    const committed = readFileSync(join(__dirname, '../../schema/possible-types.json'), 'utf8');
    expect(committed).toBe(printPossibleTypes());
    // Written by `npm run codegen` (jest's globalSetup runs it) from the committed SDL.
    const generated = readFileSync(join(__dirname, '../../examples/generated/possible-types.json'), 'utf8');
    expect(JSON.parse(committed)).toEqual(JSON.parse(generated));
    expect(JSON.parse(committed).possibleTypes.SendBatchSmsResult).toEqual(['SendBatchSmsError', 'SendBatchSmsSuccess']);
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
