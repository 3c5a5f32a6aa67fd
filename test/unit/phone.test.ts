import { readPhone } from '../../src/sms/phone';

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
    expect(readPhone(raw)).toEqual({ ok: true, phone: { upstream, e164, countryCode: expect.stringMatching(/^\d{1,3}$/) } });
    expect(e164.startsWith(`+${(readPhone(raw) as { phone: { countryCode: string } }).phone.countryCode}`)).toBe(true);
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
