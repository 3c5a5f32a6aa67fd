import { Metadata, type MetadataJson } from 'libphonenumber-js/core';
import { parsePhoneNumberFromString, type PhoneNumber } from 'libphonenumber-js/max';
import metadataJson from 'libphonenumber-js/max/metadata';

/** A phone number accepted for sending. */
interface NormalizedPhone {
  /** What uSpeedo is sent: `(cc)national` for E.164 input, otherwise the input without spaces. */
  upstream: string;
  /** The number in E.164, to recognise the same phone written two ways. */
  e164: string;
  /** Country calling code without `+`, e.g. `852`. */
  countryCode: string;
  /** The national significant number: `e164` is `+`, the calling code and this. */
  national: string;
}

/** The outcome of reading one phone: the number, or a message that does not repeat the input. */
export type PhoneReading = { ok: true; phone: NormalizedPhone } | { ok: false; message: string };

const E164 = /^\+\d{1,20}$/;
const BRACKETED = /^\((\d{1,3})\)(\d{1,20})$/;
const BARE = /^\d{1,25}$/;
const WHITESPACE = /\s+/g;
const MAINLAND_CHINA = '86';

const FORMS = 'must be written as +85255311111, (852)55311111 or mainland China digits such as 13800138000';

const valid = (number: PhoneNumber | undefined): number is PhoneNumber => number !== undefined && number.isValid();
const invalid = (message: string): PhoneReading => ({ ok: false, message });
const accepted = (upstream: string, e164: string, countryCode: string, national: string): PhoneReading => ({
  ok: true,
  phone: { upstream, e164, countryCode, national },
});

/**
 * Reads a phone in one of the three forms uSpeedo understands (E.164, `(cc)national`, bare mainland
 * digits, which may carry uSpeedo's `86`/`0086` prefixes) and checks with libphonenumber-js that such
 * a number can exist. Same answers as `readPhoneWithLibrary`, faster for the common case.
 */
export function readPhone(raw: string): PhoneReading {
  const compact = raw.replace(WHITESPACE, '');
  return fastReading(compact) ?? readCompact(compact);
}

/** The reference reading: every phone through libphonenumber-js's own parser. */
export function readPhoneWithLibrary(raw: string): PhoneReading {
  return readCompact(raw.replace(WHITESPACE, ''));
}

function readCompact(compact: string): PhoneReading {
  if (compact === '') return invalid('must not be empty');

  if (E164.test(compact)) {
    const number = parsePhoneNumberFromString(compact);
    if (!valid(number)) return invalid('is not a valid phone number');
    return accepted(
      `(${number.countryCallingCode})${number.nationalNumber}`,
      number.number,
      number.countryCallingCode,
      number.nationalNumber,
    );
  }

  const bracketed = BRACKETED.exec(compact);
  if (bracketed) {
    const number = parsePhoneNumberFromString(`+${bracketed[1]}${bracketed[2]}`);
    if (!valid(number) || number.countryCallingCode !== bracketed[1]) return invalid('is not a valid phone number');
    return accepted(compact, number.number, number.countryCallingCode, number.nationalNumber);
  }

  if (BARE.test(compact)) {
    const number = parsePhoneNumberFromString(compact, 'CN');
    if (!valid(number)) return invalid('is not a valid phone number');
    if (number.countryCallingCode !== MAINLAND_CHINA) {
      return invalid('without a country code is read as mainland China: write other countries as +852… or (852)…');
    }
    return accepted(compact, number.number, number.countryCallingCode, number.nationalNumber);
  }

  return invalid(FORMS);
}

// The fast path. libphonenumber-js builds a `new RegExp` from its metadata for every check of every
// number (its cost: bench/README.md, "Measured costs"). For the plain case — one country
// behind the calling code, no national prefix, IDD prefix or repeated calling code to strip — its
// parse comes down to "calling code, then the national number as written, valid if it matches the
// country's general pattern and one of its type patterns". Those patterns are compiled here once
// per calling code. Anything else (shared codes such as +1, prefixes to strip, odd lengths) returns
// undefined and goes through libphonenumber-js itself. test/unit/phone.test.ts checks the two
// agree on generated numbers from every country.

// The parts of libphonenumber-js's numbering plan this needs; its typings declare only a few.
interface NumberingPlanInternals {
  nationalPrefixForParsing(): string | undefined;
  IDDPrefix(): string;
}
interface PhoneTypeInternals {
  pattern(): string | undefined;
  possibleLengths(): number[] | undefined;
}
interface MetadataInternals {
  numberingPlan: NumberingPlanInternals;
  selectNumberingPlan(countryOrCallingCode: string): void;
  nationalNumberPattern(): string;
  hasTypes(): boolean;
  type(name: string): PhoneTypeInternals | undefined;
}

/** One country's checks, compiled once. */
interface CountryPlan {
  /** Matches a national (or trunk/carrier) prefix libphonenumber-js would try to strip. */
  nationalPrefix: RegExp | undefined;
  /** Matches an international dialling prefix at the start (bare digits only). */
  iddPrefix: RegExp | undefined;
  general: RegExp;
  /** The number types' patterns with their lengths; undefined when the plan has no types. */
  types: { pattern: RegExp; lengths: number[] | undefined }[] | undefined;
}

// The types getNumberType tries; a number is valid when it matches the general pattern and one of
// them, in any order. Mobile first: SMS goes to mobiles, and a country's fixed-line pattern is often
// its longest (mainland China's is over 2 kB).
const NUMBER_TYPES = [
  'MOBILE',
  'FIXED_LINE',
  'PREMIUM_RATE',
  'TOLL_FREE',
  'SHARED_COST',
  'VOIP',
  'PERSONAL_NUMBER',
  'PAGER',
  'UAN',
  'VOICEMAIL',
];
// libphonenumber-js's MIN_LENGTH_FOR_NSN and MAX_LENGTH_FOR_NSN, kept inside with a margin.
const MIN_NATIONAL = 3;
const MAX_NATIONAL = 17;

// Read as plain data: the typings narrow these keys to country codes.
const metadata = metadataJson as unknown as {
  country_calling_codes: Record<string, string[] | undefined>;
  nonGeographic?: Record<string, unknown>;
};
const plans = new Map<string, CountryPlan | null>();

const entire = (pattern: string) => new RegExp(`^(?:${pattern})$`);
const leading = (pattern: string | undefined) => (pattern ? new RegExp(`^(?:${pattern})`) : undefined);

// The plan for a calling code shared by no other country, or null (then the library decides).
function planFor(callingCode: string): CountryPlan | null {
  let plan = plans.get(callingCode);
  if (plan !== undefined) return plan;
  const countries = metadata.country_calling_codes[callingCode];
  plan = null;
  if (countries?.length === 1 && countries[0] !== '001') {
    const md = new Metadata(metadataJson as unknown as MetadataJson) as unknown as MetadataInternals;
    md.selectNumberingPlan(countries[0]);
    const types = md.hasTypes()
      ? NUMBER_TYPES.flatMap((name) => {
          const type = md.type(name);
          const pattern = type?.pattern();
          return pattern ? [{ pattern: entire(pattern), lengths: type!.possibleLengths() }] : [];
        })
      : undefined;
    plan = {
      nationalPrefix: leading(md.numberingPlan.nationalPrefixForParsing()),
      iddPrefix: leading(md.numberingPlan.IDDPrefix()),
      general: entire(md.nationalNumberPattern()),
      types,
    };
  }
  plans.set(callingCode, plan);
  return plan;
}

// Valid for the plan, as libphonenumber-js's isValid would say; undefined when the library must look.
function isValidNational(national: string, plan: CountryPlan): boolean | undefined {
  if (national.length < MIN_NATIONAL || national.length > MAX_NATIONAL) return undefined;
  if (plan.nationalPrefix?.test(national)) return undefined;
  if (!plan.general.test(national)) return false;
  if (!plan.types) return true;
  for (const type of plan.types) {
    if (type.lengths && !type.lengths.includes(national.length)) continue;
    if (type.pattern.test(national)) return true;
  }
  return false;
}

const callingCodeOf = (digits: string) => {
  for (let length = 1; length <= 3 && length < digits.length; length++) {
    const code = digits.slice(0, length);
    if (metadata.country_calling_codes[code] || metadata.nonGeographic?.[code]) return code;
  }
  return undefined;
};

/** The reading when the plain case applies, else undefined. Exported for the equivalence test. */
export function fastReading(compact: string): PhoneReading | undefined {
  const first = compact.charCodeAt(0);
  if (first === 43 /* + */) {
    if (!E164.test(compact) || compact[1] === '0') return undefined;
    const digits = compact.slice(1);
    const callingCode = callingCodeOf(digits);
    const plan = callingCode && planFor(callingCode);
    if (!plan) return undefined;
    const national = digits.slice(callingCode.length);
    const ok = isValidNational(national, plan);
    if (ok === undefined) return undefined;
    return ok ? accepted(`(${callingCode})${national}`, `+${digits}`, callingCode, national) : invalid('is not a valid phone number');
  }
  if (first === 40 /* ( */) {
    const bracketed = BRACKETED.exec(compact);
    if (!bracketed) return undefined;
    const digits = bracketed[1] + bracketed[2];
    if (digits[0] === '0') return undefined;
    const callingCode = callingCodeOf(digits);
    // A bracket that is not itself the calling code is refused by readCompact; let it say so.
    if (callingCode !== bracketed[1]) return undefined;
    const plan = planFor(callingCode);
    if (!plan) return undefined;
    const ok = isValidNational(bracketed[2], plan);
    if (ok === undefined) return undefined;
    return ok ? accepted(compact, `+${digits}`, callingCode, bracketed[2]) : invalid('is not a valid phone number');
  }
  if (first >= 48 && first <= 57 && BARE.test(compact)) {
    // Bare digits are read as mainland China; a leading 86 or IDD prefix needs the library's judgement.
    if (compact.startsWith(MAINLAND_CHINA)) return undefined;
    const plan = planFor(MAINLAND_CHINA)!;
    if (plan.iddPrefix?.test(compact)) return undefined;
    const ok = isValidNational(compact, plan);
    if (ok === undefined) return undefined;
    return ok ? accepted(compact, `+${MAINLAND_CHINA}${compact}`, MAINLAND_CHINA, compact) : invalid('is not a valid phone number');
  }
  return undefined;
}
