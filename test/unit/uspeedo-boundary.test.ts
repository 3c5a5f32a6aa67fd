import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { RetCode } from '../../src/uspeedo/uspeedo.types';

// uSpeedo in one place: no code outside src/uspeedo/ names a field of uSpeedo's bodies (as a property,
// an identifier or a string of its own) or a RetCode's number. A change to uSpeedo is found there.
// Comments and prose inside longer strings (a description that says "RetCode 0") are not code.
const root = join(__dirname, '../..');
const FIELDS = new Set([
  'TaskContent',
  'TemplateId',
  'SenderId',
  'Target',
  'Phone',
  'TemplateParams',
  'RetCode',
  'SessionNo',
  'FailedTargetPhones',
  'FailureReason',
  'Data',
  'ReceiptSet',
  'ReceiptResult',
  'ReceiptCode',
  'ReceiptDesc',
  'ReceiptTime',
  'CostCount',
  'CountryCode',
  'TemplateName',
  'Template',
  'Purpose',
  'Status',
  'Unknow',
  'SubmitFail',
]);
const RETCODES = Object.values(RetCode)
  .filter((code) => code !== 0)
  .map(String);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'uspeedo' ? [] : sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Each token naming a field (a property read or written, `x.Field` or `{ Field: … }`, or a string of its
 * own) and each token holding a RetCode's number. The RetCode constant's own name is not a field.
 */
function offences(path: string): string[] {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, readFileSync(path, 'utf8'));
  const tokens: { kind: ts.SyntaxKind; text: string }[] = [];
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    tokens.push({ kind, text: scanner.getTokenValue() ?? scanner.getTokenText() });
  }
  const found: string[] = [];
  tokens.forEach(({ kind, text }, i) => {
    const property =
      kind === ts.SyntaxKind.Identifier &&
      ([ts.SyntaxKind.DotToken, ts.SyntaxKind.QuestionDotToken].includes(tokens[i - 1]?.kind) ||
        tokens[i + 1]?.kind === ts.SyntaxKind.ColonToken);
    if ((property || kind === ts.SyntaxKind.StringLiteral) && FIELDS.has(text)) found.push(text);
    const literal = [ts.SyntaxKind.NumericLiteral, ts.SyntaxKind.StringLiteral, ts.SyntaxKind.NoSubstitutionTemplateLiteral].includes(kind);
    if (literal && RETCODES.some((code) => text.includes(code))) found.push(text);
  });
  return found;
}

describe('uSpeedo in one place', () => {
  const files = sources(join(root, 'src'));

  it('finds the sources outside src/uspeedo/, and would catch a field or a RetCode named in one', () => {
    expect(files.length).toBeGreaterThan(50);
    const dir = mkdtempSync(join(tmpdir(), 'boundary-'));
    const sample = join(dir, 'sample.ts');
    writeFileSync(
      sample,
      "const a = { Phone: p }; const b = json.SessionNo; const c = raw['ReceiptSet']; if (code === 215392) x();\n// SessionNo in a comment\n",
    );
    try {
      expect(offences(sample)).toEqual(['Phone', 'SessionNo', 'ReceiptSet', '215392']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(files.map((file) => [relative(root, file), file]))('%s names no field of uSpeedo and no RetCode number', (_name, file) => {
    expect(offences(file)).toEqual([]);
  });
});
