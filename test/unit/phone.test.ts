import fc from 'fast-check';
import { getCountries, getExampleNumber } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/examples.mobile.json';
import { fastReading, readPhone, readPhoneWithLibrary } from '../../src/sms/shared/phone';

describe('readPhone', () => {
  it.each([
    ['+85255311111', '(852)55311111', '+85255311111'],
    ['+852 5531 1111', '(852)55311111', '+85255311111'],
    ['+8613800138000', '(86)13800138000', '+8613800138000'],
    ['+12025550143', '(1)2025550143', '+12025550143'],
    ['+393123456789', '(39)3123456789', '+393123456789'],
    ['(852)55311111', '(852)55311111', '+85255311111'],
    [' (852) 5531 1111 ', '(852)55311111', '+85255311111'],
    ['13800138000', '13800138000', '+8613800138000'],
    ['138 0013 8000', '13800138000', '+8613800138000'],
    ['8613800138000', '8613800138000', '+8613800138000'],
    ['008613800138000', '008613800138000', '+8613800138000'],
  ])('accepts %j, sends %j', (raw, upstream, e164) => {
    expect(readPhone(raw)).toEqual({
      ok: true,
      phone: { upstream, e164, countryCode: expect.stringMatching(/^\d{1,3}$/), national: expect.stringMatching(/^\d+$/) },
    });
    const { countryCode, national } = (readPhone(raw) as { phone: { countryCode: string; national: string } }).phone;
    expect(`+${countryCode}${national}`).toBe(e164);
  });

  it.each([
    ['', 'must not be empty'],
    ['   ', 'must not be empty'],
    ['abc', 'must be written as'],
    ['+852-5531-1111', 'must be written as'],
    ['1380013800a', 'must be written as'],
    ['+', 'must be written as'],
    ['(852)', 'must be written as'],
    ['+85212345678', 'is not a valid phone number'],
    ['+8612345678901', 'is not a valid phone number'],
    ['12345', 'is not a valid phone number'],
    ['+999123456', 'is not a valid phone number'],
    ['(999)123456', 'is not a valid phone number'],
    ['0085255311111', 'without a country code is read as mainland China'],
    ['1'.repeat(30), 'must be written as'],
  ])('refuses %j', (raw, message) => {
    const reading = readPhone(raw);
    expect(reading.ok).toBe(false);
    if (!reading.ok) {
      expect(reading.message).toContain(message);
      // Inputs long enough not to occur in the hint by chance are never repeated back.
      if (raw.trim().length > 5) expect(reading.message).not.toContain(raw.trim());
    }
  });
});

// The fast path must give libphonenumber-js's own answers, message for message.
describe('readPhone agrees with readPhoneWithLibrary', () => {
  const countries = getCountries();
  const seeds = countries.flatMap((country) => {
    const example = getExampleNumber(country, examples);
    return example ? [{ callingCode: String(example.countryCallingCode), national: String(example.nationalNumber) }] : [];
  });
  const forms = (callingCode: string, national: string) => [
    `+${callingCode}${national}`,
    `(${callingCode})${national}`,
    national,
    `0${national}`,
    `${callingCode}${national}`,
    `00${callingCode}${national}`,
    `+${callingCode} ${national.slice(0, 3)} ${national.slice(3)}`,
  ];
  const same = (raw: string) => JSON.stringify(readPhone(raw)) === JSON.stringify(readPhoneWithLibrary(raw));

  it('takes the fast path for plain numbers', () => {
    for (const raw of ['+85255311111', '(852)55311111', '13800138000', '+8613800138000', '+819012345678', '+6591234567']) {
      expect(fastReading(raw)).toEqual(readPhoneWithLibrary(raw));
    }
    // And leaves the cases it does not model to the library.
    for (const raw of ['+12025550143', '8613800138000', '008613800138000', '01012345678', '+80012345678']) {
      expect(fastReading(raw)).toBeUndefined();
    }
  });

  it("on every country's example number, with each digit changed, and in every form", () => {
    expect(seeds.length).toBeGreaterThan(200);
    let fast = 0;
    let checked = 0;
    const disagreements: string[] = [];
    for (const { callingCode, national } of seeds) {
      const variants = new Set([national, national.slice(0, -1), `${national}0`, `${national}12`]);
      for (let i = 0; i < national.length; i++) {
        for (let d = 0; d <= 9; d++) variants.add(national.slice(0, i) + String(d) + national.slice(i + 1));
      }
      for (const variant of variants) {
        for (const raw of forms(callingCode, variant)) {
          if (!same(raw)) disagreements.push(raw);
          checked++;
          if (fastReading(raw.replace(/\s+/g, '')) !== undefined) fast++;
        }
      }
    }
    expect(disagreements).toEqual([]);
    // Most of them must have gone through the fast path, or this test compares the library with itself.
    expect(fast / checked).toBeGreaterThan(0.4);
  });

  it('on generated digit strings in every form', () => {
    const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
    const raw = fc.oneof(
      fc.tuple(fc.constantFrom(...seeds.map((s) => s.callingCode)), digits(1, 15)).chain(([cc, n]) => fc.constantFrom(...forms(cc, n))),
      digits(1, 20).map((n) => `+${n}`),
      digits(1, 20),
      fc.tuple(digits(1, 3), digits(1, 15)).map(([cc, n]) => `(${cc})${n}`),
    );
    fc.assert(fc.property(raw, same), { numRuns: 20_000, seed: 6 });
  });
});
