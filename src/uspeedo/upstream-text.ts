/** Characters of uSpeedo's text (a Message, a failure reason) a caller is given, and a result stores, at most. */
const UPSTREAM_TEXT_MAX = 500;

// Controls, separators, private-use and format characters (ZWJ and ZWNJ kept): removed from text shown to a caller.
const UNSHOWABLE = /[\p{Cc}\p{Zl}\p{Zp}\p{Co}]|(?![\u200c\u200d])\p{Cf}/gu;

/**
 * Text from uSpeedo made fit to show: lone surrogates replaced, controls, separators, bidi and other
 * format characters removed, and at most `max` code points kept (an ellipsis marks the cut).
 */
function showableText(text: string, max: number): string {
  const clean = text.toWellFormed().replace(UNSHOWABLE, '');
  // A string has at least as many UTF-16 units as code points: only a long one is counted.
  if (clean.length <= max) return clean;
  const points = Array.from(clean.slice(0, max * 2));
  if (clean.length <= max * 2 && points.length <= max) return clean;
  return `${points.slice(0, max - 1).join('')}…`;
}

/**
 * uSpeedo's text as a caller may see it: this server's credentials redacted (before and after the
 * clean-up, which could join a split one), unshowable characters removed, at most UPSTREAM_TEXT_MAX
 * characters.
 */
export function cleanUpstreamText(text: string, redact: (text: string) => string): string {
  return redact(showableText(redact(text.length > UPSTREAM_TEXT_MAX * 8 ? text.slice(0, UPSTREAM_TEXT_MAX * 8) : text), UPSTREAM_TEXT_MAX));
}
