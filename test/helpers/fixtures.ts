import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const DIR = resolve(__dirname, '../../../test/fixtures/alertmanager');

export interface Captured {
  headers: Record<string, string>;
  body: Record<string, unknown> & { alerts: Record<string, unknown>[] };
}

export const amFixture = (name: 'webhook-firing' | 'webhook-resolved'): Captured => JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as Captured;
