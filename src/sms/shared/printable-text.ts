// Printable ASCII with something besides spaces: almost every value, answered without a closer look.
const PLAIN = /^[\x20-\x7e]*[\x21-\x7e][\x20-\x7e]*$/;
// C0 and C1 controls, DEL among them: newline and tab too, which would reshape the SMS.
const CONTROL = /\p{Cc}/u;
// U+2028 and U+2029: newlines by another name.
const SEPARATOR = /[\p{Zl}\p{Zp}]/u;
// Embeddings, overrides, isolates and marks (LRM, RLM, ALM): they reorder what the recipient reads.
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
// Every other format character (zero-width space, BOM, soft hyphen, word joiner, tag characters, …)
// except ZWNJ and ZWJ, which emoji sequences and several scripts (Persian, Indic) need.
const FORMAT = /(?![\u200c\u200d])\p{Cf}/u;
// Every other code point Unicode says renders as nothing (Default_Ignorable_Code_Point: the combining
// grapheme joiner U+034F, the Hangul fillers, U+17B4, the Mongolian variation selectors, the
// variation selectors U+FE00-U+FE0F and U+E0100-U+E01EF, …), except ZWNJ and ZWJ, and VS15/VS16
// (U+FE0E, U+FE0F) right after an emoji character, where they choose its text or emoji look.
const IGNORABLE = /(?<!\p{Emoji})(?:\ufe0e|\ufe0f)|(?!\u200c|\u200d|\ufe0e|\ufe0f)\p{Default_Ignorable_Code_Point}/u;
// Noncharacters (U+FDD0-U+FDEF, U+xFFFE, U+xFFFF) are never text; U+FFFC stands for an object that an
// SMS cannot carry; the blank Braille pattern U+2800 shows as nothing.
const NOT_TEXT = /[\p{Noncharacter_Code_Point}\ufffc\u2800]/u;
// Combining marks stacked past what any script writes on one letter (Vietnamese takes two, Thai and
// Indic scripts three): "Zalgo" text that overruns the lines above and below it.
const MAX_COMBINING_MARKS = 4;
const STACKED_MARKS = new RegExp(`\\p{M}{${MAX_COMBINING_MARKS + 1}}`, 'u');
// Private-use characters show as nothing or as a vendor's glyph: no place in an identifier.
const PRIVATE_USE = /\p{Co}/u;
// What a reader does not see: white space, format characters, and the fillers that render as blank
// (Hangul fillers U+115F, U+1160, U+3164, U+FFA0; the blank Braille pattern U+2800).
const INVISIBLE = /[\s\p{Cf}\u115f\u1160\u3164\uffa0\u2800]/gu;

/** What the text is: free text (template parameters) or an identifier (templateId, senderId, ids). */
interface TextKind {
  identifier?: boolean;
}

/**
 * Why `text` cannot go into an SMS as it is, or undefined when it can. Refused by Unicode category and
 * property: controls (Cc), lone surrogates (Cs), line and paragraph separators (Zl, Zp), format
 * characters (Cf) other than ZWJ and ZWNJ, other default-ignorable code points (but an emoji's
 * variation selector), noncharacters, U+FFFC and U+2800, more than MAX_COMBINING_MARKS marks in a row,
 * private-use characters (Co) in identifiers; and text with nothing visible. The answer never repeats
 * the text.
 */
export function printableTextProblem(text: string, { identifier = false }: TextKind = {}): string | undefined {
  if (PLAIN.test(text)) return undefined;
  if (!text.isWellFormed()) return 'must not contain unpaired surrogates (invalid UTF-16)';
  if (CONTROL.test(text)) return 'must not contain control characters (newlines and tabs included)';
  if (SEPARATOR.test(text)) return 'must not contain line or paragraph separators (U+2028, U+2029)';
  if (text.replace(INVISIBLE, '') === '') return 'must not be blank';
  if (BIDI.test(text)) return 'must not contain bidirectional controls or marks (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069)';
  if (FORMAT.test(text)) {
    return 'must not contain invisible format characters (zero-width space, BOM, soft hyphen, tag characters, …; ZWJ and ZWNJ are allowed)';
  }
  if (IGNORABLE.test(text)) {
    return 'must not contain characters that render as nothing (U+034F, Hangul fillers, variation selectors, …; ZWJ, ZWNJ and an emoji variation selector after an emoji are allowed)';
  }
  if (NOT_TEXT.test(text)) {
    return 'must not contain noncharacters, the object replacement character U+FFFC or the blank Braille pattern U+2800';
  }
  if (STACKED_MARKS.test(text)) return `must not stack more than ${MAX_COMBINING_MARKS} combining marks on one character`;
  if (identifier && PRIVATE_USE.test(text)) return 'must not contain private-use characters';
  return undefined;
}

/** Why `id` (a template id, a session number) cannot be used, or undefined: at most `maxLength` characters, printable as an identifier. */
export function identifierProblem(id: string, maxLength: number): string | undefined {
  return fitsCodePoints(id, maxLength) ? printableTextProblem(id, { identifier: true }) : `must be at most ${maxLength} characters`;
}

/** At most `max` code points. A string has at least as many UTF-16 units as code points, so only a long one is counted. */
export function fitsCodePoints(text: string, max: number): boolean {
  if (text.length <= max) return true;
  if (text.length > max * 2) return false;
  let count = 0;
  for (const _ of text) if (++count > max) return false;
  return true;
}
