import { readPhone } from './phone';

/**
 * A phone number as logs may show it: the country code and the last two digits, e.g.
 * `+852******11`. Anything unreadable keeps only its last two digits.
 */
export function maskPhone(raw: string): string {
  const reading = readPhone(raw);
  if (reading.ok) {
    const { e164, countryCode } = reading.phone;
    const national = e164.slice(1 + countryCode.length);
    return `+${countryCode}${'*'.repeat(Math.max(0, national.length - 2))}${national.slice(-2)}`;
  }
  const digits = raw.replace(/\D/g, '');
  return `***${digits.slice(-2)}`;
}
