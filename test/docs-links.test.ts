// Every document the repository cites is in the repository: markdown links, paths under its
// top-level folders (`docs/algorithms.md`, `src/judge/prm.ts`) and `*.md` names, in every tracked
// document and in the comments of every source file. A comment that cites a file a reader cannot
// open fails here. (Strings are not read: tests and error messages name files that need not exist.)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, normalize, posix } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = normalize(join(import.meta.dirname, '..'));

/** Names of files gemstone writes into a run or results folder: naming one is not citing a document. */
const WRITTEN_NAMES = new Set(['report.md', 'index.md']);

/** Generated or data files: their paths are not citations someone wrote. */
const SKIPPED = [/\.generated\.ts$/, /^package-lock\.json$/, /^test\/fixtures\//, /^docs\/results\/results\.json$/];

/** Source files, of which only the comments are read. */
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs|wgsl)$/;

/**
 * The comments of a JavaScript, TypeScript or WGSL source, everything else blanked to spaces (line
 * breaks kept, so line numbers hold). Strings, template literals and regular-expression literals are
 * skipped as code.
 */
function commentsOf(source: string): string {
  let out = '';
  let i = 0;
  const blank = (text: string) => text.replace(/[^\n]/g, ' ');
  const until = (end: RegExp, from: number) => {
    end.lastIndex = from;
    const match = end.exec(source);
    return match === null ? source.length : match.index + match[0].length;
  };
  let previous = '';
  while (i < source.length) {
    const two = source.slice(i, i + 2);
    const c = source[i];
    let next: number;
    if (two === '//') {
      next = until(/\n/g, i);
      out += source.slice(i, next);
    } else if (two === '/*') {
      next = until(/\*\//g, i + 2);
      out += source.slice(i, next);
    } else if (c === "'" || c === '"') {
      next = until(new RegExp(`(?<!\\\\)(?:\\\\\\\\)*[${c}\\n]`, 'g'), i + 1);
      out += blank(source.slice(i, next));
    } else if (c === '`') {
      next = until(/(?<!\\)(?:\\\\)*`/g, i + 1);
      out += blank(source.slice(i, next));
    } else if (c === '/' && (previous === '' || /[(,=:[!&|?{};+\-*%<>~^]/.test(previous))) {
      next = until(/(?<!\\)(?:\\\\)*\/|\n/g, i + 1); // a regular-expression literal (no `/` inside a class)
      out += blank(source.slice(i, next));
    } else {
      next = i + 1;
      out += c === '\n' ? c : ' ';
    }
    const last = source.slice(i, next).trim();
    if (last !== '' && !(two === '//' || two === '/*')) previous = last[last.length - 1];
    i = next;
  }
  return out;
}

interface Citation {
  file: string;
  line: number;
  target: string;
}

/**
 * The citations in `text` (the file `file`, relative to the root) whose target does not exist.
 * `exists` answers for a path relative to the root; `folders` are the root's top-level folders.
 */
function brokenCitations(
  file: string,
  text: string,
  folders: readonly string[],
  exists: (path: string) => boolean,
): Citation[] {
  const broken: Citation[] = [];
  const here = posix.dirname(file);
  const resolves = (target: string, fromRootToo: boolean) => {
    const fromFile = posix.normalize(posix.join(here, target));
    return exists(fromFile) || (fromRootToo && exists(posix.normalize(target)));
  };
  const folderPattern = folders.map((f) => f.replace(/[.]/g, '\\.')).join('|');
  const repoPath = new RegExp(`(?<![\\w./$-])(?:${folderPattern})/[\\w./@+-]*\\.[A-Za-z]\\w*`, 'g');
  const mdName = /(?<![\w./$:-])[\w./-]*[\w-]\.md\b/g; // not inside a URL
  const link = /\]\(([^)\s]+)\)/g;
  const anchors = new Set(
    [...text.matchAll(/^#{1,6}\s+(.*)$/gm)].map((m) =>
      m[1]
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  );
  text.split('\n').forEach((content, index) => {
    const seen = new Set<string>();
    const report = (target: string) => {
      if (!seen.has(target)) broken.push({ file, line: index + 1, target });
      seen.add(target);
    };
    if (file.endsWith('.md')) {
      for (const match of content.matchAll(link)) {
        const [target, anchor] = match[1].split('#');
        if (target === '' && !anchors.has(decodeURIComponent(anchor ?? ''))) report(match[1]); // GitHub's heading ids
        if (target === '' || /^[a-z][a-z+.-]*:/i.test(target)) continue; // an anchor or a URL
        if (!resolves(decodeURI(target), false)) report(match[1]);
      }
    }
    for (const match of content.matchAll(repoPath)) {
      const target = match[0].replace(/[.]+$/, '');
      if (!resolves(target, true)) report(target);
    }
    for (const match of content.matchAll(mdName)) {
      const target = match[0];
      const written = WRITTEN_NAMES.has(posix.basename(target)) && !folders.includes(target.split('/')[0]);
      if (written) continue;
      if (!resolves(target, true)) report(target);
    }
  });
  return broken;
}

describe('citations of files', () => {
  const folders = ['docs', 'src', 'shaders'];
  const present = new Set(['README.md', 'docs/algorithms.md', 'src/judge/prm.ts', 'docs/results/index.md']);
  const check = (file: string, text: string) =>
    brokenCitations(file, text, folders, (p) => present.has(p)).map((c) => `${c.line}:${c.target}`);

  it('finds a cited file that does not exist, and passes one that does', () => {
    expect(check('src/a.ts', '// see NOTES.md, stage 2\n// and docs/algorithms.md')).toEqual(['1:NOTES.md']);
    expect(check('src/a.ts', '// the PRM: src/judge/prm.ts.\n// the old one: src/judge/old-prm.ts.')).toEqual([
      '2:src/judge/old-prm.ts',
    ]);
    expect(check('src/a.ts', '/** see ../outside/PLAN.md */')).toEqual(['1:../outside/PLAN.md']);
    expect(check('README.md', 'see [the docs](docs/algorithms.md#stage-3) and [gone](docs/gone.md)')).toEqual([
      '1:docs/gone.md',
    ]);
  });

  it('resolves markdown links from the linking file, and ignores URLs, anchors and written outputs', () => {
    expect(check('docs/results/index.md', '[up](../../README.md) [up](../README.md)')).toEqual(['1:../README.md']);
    expect(check('README.md', '## 4. Consensus and the β mask\n[a](#4-consensus-and-the-β-mask) [b](#gone)')).toEqual([
      '2:#gone',
    ]);
    expect(
      check('README.md', '# Results\n[x](https://example.org/a.md) [y](#results) writes report.md and index.md'),
    ).toEqual([]);
  });

  it('reads the comments of a source file, not its strings or regular expressions', () => {
    const source = [
      "const a = 'docs/gone.md'; // see docs/algorithms.md",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text under test holds a template literal
      'const b = `src/${name}.ts` + "x.md" / 2; /* NOTES.md',
      '   stage 2 */ const re = /"\\/[\\w]*.md/g; // done',
    ].join('\n');
    const comments = commentsOf(source);
    expect(comments.split('\n').map((l) => l.trim())).toEqual([
      '// see docs/algorithms.md',
      '/* NOTES.md',
      'stage 2 */                            // done',
    ]);
    expect(check('src/a.ts', comments)).toEqual(['2:NOTES.md']);
  });

  it('holds for every tracked file', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
    const tracked = new Set(files);
    const folders = [...new Set(files.filter((f) => f.includes('/')).map((f) => f.split('/')[0]))];
    // What a clean clone holds: tracked files and their folders (not ignored build outputs or runs).
    const folderPaths = (f: string) =>
      f
        .split('/')
        .slice(0, -1)
        .map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    const trackedFolders = new Set(files.flatMap(folderPaths));
    const exists = (path: string) => tracked.has(path) || trackedFolders.has(path.replace(/\/$/, ''));
    const broken: string[] = [];
    for (const file of files) {
      if (SKIPPED.some((pattern) => pattern.test(file))) continue;
      const bytes = readFileSync(join(ROOT, file));
      if (bytes.includes(0)) continue; // binary
      const text = SOURCE.test(file) ? commentsOf(bytes.toString('utf8')) : bytes.toString('utf8');
      for (const c of brokenCitations(file, text, folders, exists)) {
        broken.push(`${c.file}:${c.line} cites ${c.target}, which is not in the repository`);
      }
    }
    expect(broken).toEqual([]);
  });
});
