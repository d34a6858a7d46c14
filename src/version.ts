// Read once at start-up; package.json sits two levels above dist/src.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      return (JSON.parse(readFileSync(join(__dirname, rel), 'utf8')) as { version: string }).version;
    } catch {
      /* try the next layout */
    }
  }
  return '0.0.0';
}

export const VERSION = readVersion();
