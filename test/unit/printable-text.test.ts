import { printableTextProblem } from '../../src/sms/shared/printable-text';

// What a recipient cannot see, or what is not text at all, is refused by its Unicode property, each
// case named; real text of every kind still passes.
describe('printableTextProblem', () => {
  it.each([
    ['the combining grapheme joiner U+034F', 'ab\u034fc', /render as nothing/],
    ['the Hangul choseong filler U+115F', 'ab\u115fc', /render as nothing/],
    ['the Hangul filler U+3164', 'ab\u3164c', /render as nothing/],
    ['the Khmer vowel inherent U+17B4', 'ab\u17b4c', /render as nothing/],
    ['the Mongolian free variation selector U+180B', 'ab\u180bc', /render as nothing/],
    ['the variation selector U+E0100', 'ab\u{e0100}c', /render as nothing/],
    ['a variation selector after a letter (VS16 after a)', 'a\ufe0fb', /render as nothing/],
    ['the variation selector VS1 U+FE00', 'a\ufe00', /render as nothing/],
    ['the noncharacter U+FFFF', 'ab\uffffc', /noncharacters/],
    ['the noncharacter U+10FFFF', 'ab\u{10ffff}c', /noncharacters/],
    ['the noncharacter U+FDD0', 'ab\ufdd0c', /noncharacters/],
    ['the object replacement character U+FFFC', 'ab\ufffcc', /U\+FFFC/],
    ['the blank Braille pattern U+2800 inside text', 'ab\u2800c', /U\+2800/],
    ['30 stacked combining marks', `a${'\u0301'.repeat(30)}`, /more than 4 combining marks/],
    ['5 stacked combining marks', `a${'\u0301\u0302\u0303\u0304\u0305'}`, /more than 4 combining marks/],
    ['Hangul fillers alone', '\u3164\u115f', /blank/],
  ])('refuses %s', (_name, text, message) => {
    expect(printableTextProblem(text)).toMatch(message);
    expect(printableTextProblem(text, { identifier: true })).toMatch(message);
  });

  it.each([
    ['an emoji ZWJ sequence', '👩‍💻 and 👨‍👩‍👧'],
    ['an emoji with VS16', '❤️ ☺️'],
    ['a text-style emoji with VS15', '☺︎'],
    ['a keycap', '1️⃣ #️⃣'],
    ['an emoji with VS16 inside a ZWJ sequence', '🏳️‍🌈 👁️‍🗨️'],
    ['skin tones', '👍🏽'],
    ['a flag', '🇻🇳'],
    ['Vietnamese, precomposed', 'Tiếng Việt có dấu: ở đâu?'],
    ['Vietnamese, decomposed (two marks on one letter)', 'Tie\u0302\u0301ng Vie\u0323\u0302t'],
    ['Thai with stacked vowel and tone marks', 'สวัสดีครับ น้ำ'],
    ['Devanagari', 'नमस्ते क्षत्रिय'],
    ['a no-break space', 'Total:\u00a0100'],
    ['an ideographic space', '验证码\u3000123456'],
    ['Persian with a ZWNJ', 'می\u200cخواهم'],
    ['four combining marks', `a${'\u0301\u0302\u0303\u0304'}`],
  ])('passes %s', (_name, text) => {
    expect(printableTextProblem(text)).toBeUndefined();
  });
});
