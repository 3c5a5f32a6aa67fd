// Printable ASCII with something besides spaces: almost every value, answered without a closer look.
const PLAIN = /^[\x20-\x7e]*[\x21-\x7e][\x20-\x7e]*$/;
// C0 and C1 controls, DEL among them: newline and tab too, which would reshape the SMS.
const CONTROL = /\p{Cc}/u;
// Embeddings, overrides and isolates: they reorder what the recipient reads (U+202A–U+202E, U+2066–U+2069).
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;
// Invisible format characters (zero-width space and joiners, BOM, word joiner, soft hyphen, …) and white space.
const INVISIBLE_OR_SPACE = /[\p{Cf}\s]/gu;

/**
 * Why `text` cannot go into an SMS as it is, or undefined when it can: control characters, bidi
 * controls, lone surrogates, or nothing visible once invisible format characters are set aside. The
 * answer never repeats the text.
 */
export function printableTextProblem(text: string): string | undefined {
  if (PLAIN.test(text)) return undefined;
  if (!text.isWellFormed()) return 'must not contain unpaired surrogates (invalid UTF-16)';
  if (CONTROL.test(text)) return 'must not contain control characters (newlines and tabs included)';
  if (BIDI_CONTROL.test(text)) return 'must not contain bidirectional control characters (U+202A-U+202E, U+2066-U+2069)';
  if (text.replace(INVISIBLE_OR_SPACE, '') === '') return 'must not be blank';
  return undefined;
}
