import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// The docs are a shelf: README.md links to docs/, each page to the others. Every relative link must
// land inside the repository, on a file that exists, and on a heading that exists when it names one;
// none may leave the repository (the ../shared/ folder beside a checkout is not part of it).
const root = join(__dirname, '../..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.') || name === 'dist') return [];
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

function anchors(path: string): Set<string> {
  const text = readFileSync(path, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => slug(match[1])));
}

/** Every relative link of a Markdown file, outside code blocks and code spans. */
function links(path: string): string[] {
  const text = readFileSync(path, 'utf8')
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]).filter((target) => !/^(https?:|mailto:)/.test(target));
}

const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs')), ...markdownFiles(join(root, 'src'))];

describe('links in README.md, docs/ and the source READMEs', () => {
  it('finds the shelf: the README and one page per reader', () => {
    expect(files.map((file) => relative(root, file))).toEqual(
      expect.arrayContaining(['README.md', 'docs/api.md', 'docs/frontend.md', 'docs/operating.md', 'docs/uspeedo.md']),
    );
  });

  it.each(files.map((file) => [relative(root, file), file]))('%s: every relative link resolves inside the repository', (_name, file) => {
    const broken: string[] = [];
    for (const target of links(file)) {
      const [path, anchor] = target.split('#', 2);
      const landing = path === '' ? file : resolve(dirname(file), decodeURI(path));
      if (relative(root, landing).startsWith('..')) broken.push(`${target}: leaves the repository`);
      else if (!existsSync(landing)) broken.push(`${target}: no such file`);
      else if (anchor && landing.endsWith('.md') && !anchors(landing).has(anchor)) broken.push(`${target}: no such heading`);
    }
    expect(broken).toEqual([]);
  });

  it('keeps README.md short: what it is, the two commands, one send, the API in a screen, and links', () => {
    expect(readFileSync(join(root, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(300);
  });
});
