import { SegmentedMessage } from 'sms-segments-calculator';

/** How one message is encoded and billed: its encoding, its length in that encoding's units, its segments. */
export interface MessageSize {
  encoding: 'GSM_7' | 'UCS_2';
  /** GSM-7 septets (an extension character is two) or UTF-16 units (an emoji is two). */
  characters: number;
  segments: number;
}

// GSM-7's basic characters that are also ASCII, one septet each: what almost every English or
// numeric message is made of. Not here: GSM-7's non-ASCII letters and its extension characters
// (€ [ ] { } ~ ^ | \), which the library counts.
const GSM_7_BASIC_ASCII = /^[A-Za-z0-9 \n\r!"#$%&'()*+,\-./:;<=>?@_]*$/;
// A character GSM-7 lacks (Han, kana, Hangul), so the message is UCS-2.
const NOT_GSM_7 = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
// A character of two UTF-16 units (an emoji), which the library never splits across parts; without
// the u flag, this matches either half.
const TWO_UNITS = /[\ud800-\udfff]/;
// A mark or joiner that makes one grapheme of several characters, which the library keeps in one part.
const JOINED = /\p{M}|\u200c|\u200d/u;

/**
 * The size of `text` as an SMS: GSM-7 when every character is in it (160 septets in one message, 153
 * a part once split), else UCS-2 (70 units, 67 a part). Twilio's sms-segments-calculator decides,
 * except for plain ASCII and for Chinese, Japanese or Korean text of one-unit characters, whose answer
 * is the same arithmetic at a fraction of its cost (bench/README.md, "The preview"). A test checks
 * they agree.
 */
export function messageSize(text: string): MessageSize {
  if (GSM_7_BASIC_ASCII.test(text)) {
    return { encoding: 'GSM_7', characters: text.length, segments: text.length <= 160 ? 1 : Math.ceil(text.length / 153) };
  }
  // Chinese, Japanese, Korean text, every character one unit and one grapheme: the same arithmetic in UCS-2.
  if (NOT_GSM_7.test(text) && !TWO_UNITS.test(text) && !JOINED.test(text)) {
    return { encoding: 'UCS_2', characters: text.length, segments: text.length <= 70 ? 1 : Math.ceil(text.length / 67) };
  }
  return librarySize(text);
}

/** The library's answer alone, for the fast path's test. */
export function librarySize(text: string): MessageSize {
  const message = new SegmentedMessage(text, 'auto');
  const ucs2 = message.encodingName === 'UCS-2';
  return {
    encoding: ucs2 ? 'UCS_2' : 'GSM_7',
    // The library counts an emoji once; UCS-2 bills it as its two UTF-16 units.
    characters: ucs2 ? text.length : message.numberOfCharacters,
    segments: message.segmentsCount,
  };
}
