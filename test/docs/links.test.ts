// The documentation holds together: every relative link and every #anchor in README.md, BENCHMARKS.md and
// docs/*.md resolves (the file exists; the anchor is a heading's slug as GitHub makes it, or an explicit
// <a id>), and the README stays a front door (at most 300 lines). External http(s) links are not fetched.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/fs';

const ROOT = resolve(__dirname, '../../..');
const README_MAX_LINES = 300;

/** The Markdown files whose links are checked, relative to `root`. */
function documents(root: string): string[] {
  const docs = existsSync(join(root, 'docs')) ? readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')) : [];
  return [...['README.md', 'BENCHMARKS.md'].filter((f) => existsSync(join(root, f))), ...docs.map((f) => `docs/${f}`)];
}

/** The text outside fenced code blocks, line by line (a fence's lines become empty, so line numbers hold). */
function proseLines(md: string): string[] {
  let fence: string | null = null;
  return md.split('\n').map((line) => {
    const open = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === null && open) {
      fence = open[1];
      return '';
    }
    if (fence !== null) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
      if (close && close[1][0] === fence[0] && close[1].length >= fence.length) fence = null;
      return '';
    }
    return line;
  });
}

/** Removes inline code spans (a link written as code is not a link). */
function withoutCode(line: string): string {
  return line.replace(/(`+)[\s\S]*?\1/g, '');
}

/** A heading's anchor as GitHub makes it: the rendered text, lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  const text = heading
    .replace(/!\[[^\]]*\]\([^)]*\)/g, '') // images
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // links: their text
    .replace(/<[^>]+>/g, '') // inline HTML
    .replace(/[`*]/g, '');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a Markdown file defines: its headings' slugs (a repeated one gets -1, -2, …) and explicit ids. */
function anchors(md: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(md)) {
    const h = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = slug(h[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s[^>]*\b(?:id|name)="([^"]+)"/g)) out.add(m[1]);
  }
  return out;
}

/** The link targets of a Markdown file (inline links, images, reference definitions), with their line. */
function links(md: string): { line: number; target: string }[] {
  const out: { line: number; target: string }[] = [];
  proseLines(md).forEach((raw, i) => {
    const line = withoutCode(raw);
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ line: i + 1, target: m[1] });
    const def = /^ {0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(line);
    if (def) out.push({ line: i + 1, target: def[1] });
    for (const m of line.matchAll(/<a\s[^>]*\bhref="([^"]+)"/g)) out.push({ line: i + 1, target: m[1] });
  });
  return out;
}

/** Why `target`, linked from `file` (relative to `root`), does not resolve, or null when it does. */
function brokenLink(root: string, file: string, target: string): string | null {
  if (/^(https?|mailto):/i.test(target)) return null;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return `scheme not allowed (only http, https, mailto)`;
  if (target.startsWith('/')) return 'absolute path: link relative to the file';
  const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
  const path = pathPart === '' ? join(root, file) : resolve(root, dirname(file), decodeURIComponent(pathPart));
  if (relative(root, path).startsWith('..')) return 'outside the repository';
  if (!existsSync(path)) return 'no such file';
  if (anchor === undefined) return null;
  if (statSync(path).isDirectory() || !path.endsWith('.md')) return 'an anchor into a file that is not Markdown';
  return anchors(readFileSync(path, 'utf8')).has(decodeURIComponent(anchor)) ? null : `no heading or anchor "#${anchor}"`;
}

/** Every link of every document under `root` that does not resolve, as `file:line: target (why)`. */
function brokenLinks(root: string): string[] {
  const out: string[] = [];
  for (const file of documents(root)) {
    for (const { line, target } of links(readFileSync(join(root, file), 'utf8'))) {
      const why = brokenLink(root, file, target);
      if (why) out.push(`${file}:${line}: ${target} (${why})`);
    }
  }
  return out;
}

describe('GitHub heading slugs', () => {
  const table: [string, string][] = [
    ['Quick start', 'quick-start'],
    ['TLS and authentication (`--web.config.file`)', 'tls-and-authentication---webconfigfile'],
    ['The ladder: detect → protect → heal → verify → escalate', 'the-ladder-detect--protect--heal--verify--escalate'],
    ['Reload (SIGHUP, `POST /-/reload`)', 'reload-sighup-post--reload'],
    ['`recovery.handlers[].exec`', 'recoveryhandlersexec'],
    ['**Bold** and [a link](x.md) and max_streams', 'bold-and-a-link-and-max_streams'],
    ['Fleet: 1,000 instances', 'fleet-1000-instances'],
  ];
  for (const [heading, want] of table) it(`${heading} → #${want}`, () => assert.equal(slug(heading), want));

  it('a repeated heading gets -1, -2; an explicit anchor counts; headings in code do not', () => {
    const md = '# A\n## Notes\n### Notes\n#### Notes\n<a id="here"></a>\n```\n# Not a heading\n```\n';
    assert.deepEqual([...anchors(md)].sort(), ['a', 'here', 'notes', 'notes-1', 'notes-2']);
  });
});

describe('the link check finds what is broken', () => {
  const root = tempDir();
  mkdirSync(join(root, 'docs'));
  writeFileSync(join(root, 'docs/page.md'), '# Page\n\n## A section\n');
  writeFileSync(
    join(root, 'README.md'),
    [
      '# Front',
      '[ok](docs/page.md#a-section) [self](#front) ![img](docs/page.md) [web](https://example.org/x#y)',
      '[no file](docs/missing.md) [no anchor](docs/page.md#nothing) `[in code](docs/none.md)`',
      '```',
      '[in a fence](docs/none.md)',
      '```',
      '[ref]: docs/gone.md',
      '',
    ].join('\n'),
  );
  it('reports a missing file, a missing anchor and a broken reference; not links in code, not external ones', () =>
    assert.deepEqual(brokenLinks(root), [
      'README.md:3: docs/missing.md (no such file)',
      'README.md:3: docs/page.md#nothing (no heading or anchor "#nothing")',
      'README.md:7: docs/gone.md (no such file)',
    ]));
});

describe('README.md, BENCHMARKS.md and docs/*.md', () => {
  it('finds the documents', () => assert.ok(documents(ROOT).length >= 10, documents(ROOT).join(', ')));

  const broken = brokenLinks(ROOT);
  for (const file of documents(ROOT)) {
    it(`${file}: every relative link and #anchor resolves`, () =>
      assert.deepEqual(
        broken.filter((b) => b.startsWith(`${file}:`)),
        [],
      ));
  }

  it(`README.md is at most ${README_MAX_LINES} lines (a front door; the rest is in docs/)`, () => {
    const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').replace(/\n$/, '').split('\n').length;
    assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines`);
  });
});
