import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const DIR = resolve(__dirname, '../../../test/fixtures/alertmanager');

export interface Captured {
  headers: Record<string, string>;
  body: Record<string, unknown> & { alerts: Record<string, unknown>[] };
}

export const amFixture = (name: 'webhook-firing' | 'webhook-resolved'): Captured =>
  JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as Captured;

/** The specification, vendored as a fixture (the original system's design guide, unchanged). */
export const GUIDE = resolve(__dirname, '../../../test/fixtures/guide/SELF_HEALING_SYSTEM_GUIDE.md');

/** The guide's markdown. */
export const guideText = (): string => readFileSync(GUIDE, 'utf8');

/** The rows of the guide's markdown table under `heading`, cells trimmed, header and rule skipped. */
export function guideTable(md: string, heading: string): string[][] {
  const at = md.indexOf(heading);
  if (at < 0) throw new Error(`the guide has no "${heading}"`);
  const lines = md.slice(at).split('\n').slice(1);
  const table = lines.slice(lines.findIndex((l) => l.startsWith('|')));
  const rows = table.slice(
    0,
    table.findIndex((l) => !l.startsWith('|')),
  );
  return rows.slice(2).map((l) =>
    l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim()),
  );
}

/** The values of the guide's Python `class <name>(Enum):`, in the guide's order. */
export function guideEnum(md: string, name: string): string[] {
  const at = md.indexOf(`class ${name}(Enum):`);
  if (at < 0) throw new Error(`the guide has no enum ${name}`);
  const body = md.slice(at).split('\n').slice(1);
  const members = body.slice(
    0,
    body.findIndex((l) => !/^\s+[A-Z_]+ = "/.test(l)),
  );
  return members.map((l) => /= "([^"]+)"/.exec(l)![1]);
}
