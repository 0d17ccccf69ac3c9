/**
 * Several benchmarks writing one results file: each owns a section between
 * `<!-- section:<id> -->` and `<!-- /section:<id> -->` and rewrites only that; the other sections are
 * kept as they are, in the order given.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ResultsFileLayout {
  /** Text above the sections (title, what the file is); rewritten every time. */
  header: string;
  /** Section ids in the order they appear. */
  order: readonly string[];
  /** Placeholder body of a section no benchmark has written yet. */
  placeholder(id: string): string;
}

const open = (id: string) => `<!-- section:${id} -->`;
const close = (id: string) => `<!-- /section:${id} -->`;

/** The body of every section in a results file's text. */
export function readSections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /<!-- section:([a-z0-9-]+) -->\n([\s\S]*?)\n<!-- \/section:\1 -->/g;
  for (const m of text.matchAll(re)) out.set(m[1]!, m[2]!);
  return out;
}

/** Rewrite one section of `file` (created when missing), keeping the others. Returns the whole new text. */
export function writeSection(file: string, layout: ResultsFileLayout, id: string, body: string): string {
  if (!layout.order.includes(id)) throw new Error(`unknown section ${id}`);
  const sections = existsSync(file) ? readSections(readFileSync(file, 'utf8')) : new Map<string, string>();
  sections.set(id, body.trim());
  const parts = [layout.header.trim(), ''];
  for (const s of layout.order) parts.push(open(s), sections.get(s) ?? layout.placeholder(s), close(s), '');
  const text = parts.join('\n');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return text;
}
