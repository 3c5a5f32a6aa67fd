import { parsePhoneNumberFromString, type PhoneNumber } from 'libphonenumber-js/max';

/** A phone number accepted for sending. */
export interface NormalizedPhone {
  /** What uSpeedo is sent: `(cc)national` for E.164 input, otherwise the input without spaces. */
  upstream: string;
  /** The number in E.164, to recognise the same phone written two ways. */
  e164: string;
  /** Country calling code without `+`, e.g. `852`. */
  countryCode: string;
}

/** The outcome of reading one phone: the number, or a message that does not repeat the input. */
export type PhoneReading = { ok: true; phone: NormalizedPhone } | { ok: false; message: string };

const E164 = /^\+\d{1,20}$/;
const BRACKETED = /^\((\d{1,3})\)(\d{1,20})$/;
const BARE = /^\d{1,25}$/;
const MAINLAND_CHINA = '86';

const FORMS = 'must be written as +85255311111, (852)55311111 or mainland China digits such as 13800138000';

const valid = (number: PhoneNumber | undefined): number is PhoneNumber => number !== undefined && number.isValid();
const invalid = (message: string): PhoneReading => ({ ok: false, message });

/**
 * Reads a phone in one of the three forms uSpeedo understands (E.164, `(cc)national`, bare mainland
 * digits, which may carry uSpeedo's `86`/`0086` prefixes) and checks with libphonenumber-js that such
 * a number can exist.
 */
export function readPhone(raw: string): PhoneReading {
  const compact = raw.replace(/\s+/g, '');
  if (compact === '') return invalid('must not be empty');

  if (E164.test(compact)) {
    const number = parsePhoneNumberFromString(compact);
    if (!valid(number)) return invalid('is not a valid phone number');
    return { ok: true, phone: { upstream: `(${number.countryCallingCode})${number.nationalNumber}`, e164: number.number, countryCode: number.countryCallingCode } };
  }

  const bracketed = BRACKETED.exec(compact);
  if (bracketed) {
    const number = parsePhoneNumberFromString(`+${bracketed[1]}${bracketed[2]}`);
    if (!valid(number) || number.countryCallingCode !== bracketed[1]) return invalid('is not a valid phone number');
    return { ok: true, phone: { upstream: compact, e164: number.number, countryCode: number.countryCallingCode } };
  }

  if (BARE.test(compact)) {
    const number = parsePhoneNumberFromString(compact, 'CN');
    if (!valid(number)) return invalid('is not a valid phone number');
    if (number.countryCallingCode !== MAINLAND_CHINA) {
      return invalid('without a country code is read as mainland China: write other countries as +852… or (852)…');
    }
    return { ok: true, phone: { upstream: compact, e164: number.number, countryCode: number.countryCallingCode } };
  }

  return invalid(FORMS);
}
