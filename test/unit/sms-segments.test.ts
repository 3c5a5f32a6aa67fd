import fc from 'fast-check';
import { librarySize, messageSize } from '../../src/sms/preview/sms-segments';

// Known answers: 160 GSM-7 septets or 70 UCS-2 units in one SMS, 153 / 67 a part once split; an
// extension character is two septets, an emoji two units, and one character outside GSM-7 makes the
// whole message UCS-2.
const CASES: [string, string, 'GSM_7' | 'UCS_2', number, number][] = [
  ['ASCII, 160', 'a'.repeat(160), 'GSM_7', 160, 1],
  ['ASCII, 161', 'a'.repeat(161), 'GSM_7', 161, 2],
  ['ASCII, 306: two full parts', 'a'.repeat(306), 'GSM_7', 306, 2],
  ['ASCII, 307', 'a'.repeat(307), 'GSM_7', 307, 3],
  ['an OTP', 'Your code is 123456. It expires in 5 minutes.', 'GSM_7', 45, 1],
  ['extension characters, 80 x €', '€'.repeat(80), 'GSM_7', 160, 1],
  ['extension characters, 81 x €', '€'.repeat(81), 'GSM_7', 162, 2],
  ['extension characters [ ] { } ~ ^ | \\', '[]{}~^|\\', 'GSM_7', 16, 1],
  ['GSM-7 letters outside ASCII', 'é'.repeat(160), 'GSM_7', 160, 1],
  ['Chinese, 70', '中'.repeat(70), 'UCS_2', 70, 1],
  ['Chinese, 71', '中'.repeat(71), 'UCS_2', 71, 2],
  ['Chinese, 134: two full parts', '中'.repeat(134), 'UCS_2', 134, 2],
  ['Chinese, 135', '中'.repeat(135), 'UCS_2', 135, 3],
  ['emoji, 35 (70 units)', '😀'.repeat(35), 'UCS_2', 70, 1],
  ['emoji, 36 (72 units)', '😀'.repeat(36), 'UCS_2', 72, 2],
  ['one emoji in ASCII', `${'a'.repeat(69)}😀`, 'UCS_2', 71, 2],
  ['a backtick (not GSM-7)', 'a`b', 'UCS_2', 3, 1],
  ['Japanese and Korean, 71', 'ひらがなカタカナ한국어'.repeat(7).slice(0, 71), 'UCS_2', 71, 2],
  ['Chinese with a combining accent', `${'中'.repeat(69)}e\u0301`, 'UCS_2', 71, 2],
  // 134 units, but the emoji may not be split: 66 | 2 + 65 | 1.
  ['Chinese with an emoji across a part boundary', `${'中'.repeat(66)}😀${'中'.repeat(66)}`, 'UCS_2', 134, 3],
];

describe('messageSize', () => {
  it.each(CASES)('%s', (_name, text, encoding, characters, segments) => {
    expect(messageSize(text)).toEqual({ encoding, characters, segments });
  });

  it("agrees with sms-segments-calculator on generated texts, the fast path's among them", () => {
    const gsmAscii = fc.stringMatching(/^[A-Za-z0-9 !"#$%&'()*+,\-./:;<=>?@_\n\r]{0,400}$/);
    const anything = fc.string({ unit: fc.constantFrom('a', '€', 'é', '中', '😀', '`', ' ', '{', '\n'), maxLength: 400 });
    // The second fast path's texts, and the characters that must keep them off it.
    const cjk = fc.string({
      unit: fc.constantFrom('中', '文', 'ひ', 'カ', '한', '，', '。', 'a', '1', ' ', '\n', '€', 'é', '\u0301', '\u200d', '\ufe0f', '😀'),
      maxLength: 300,
    });
    // Long texts with one two-unit character somewhere: where parts split matters.
    const near = fc
      .tuple(fc.integer({ min: 60, max: 210 }), fc.nat(), fc.constantFrom('😀', 'é', '€', '\u0301'))
      .map(([length, at, odd]) => {
        const han = '中'.repeat(length);
        const cut = at % (length + 1);
        return han.slice(0, cut) + odd + han.slice(cut);
      });
    fc.assert(
      fc.property(fc.oneof(gsmAscii, anything, cjk, near), (text) => {
        expect(messageSize(text)).toEqual(librarySize(text));
      }),
      { numRuns: 500 },
    );
  });
});
