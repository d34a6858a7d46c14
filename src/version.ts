// Read once at start-up; package.json sits two levels above dist/src. The revision comes from
// dist/src/build_info.json, which `npm run build` writes (scripts/build-info.js: git, or the
// SELFHEAL_REVISION environment variable), else from package.json's gitHead (npm sets it when it
// packs from a git checkout), else "unknown".
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function readJson(rels: string[]): Record<string, unknown> | null {
  for (const rel of rels) {
    try {
      return JSON.parse(readFileSync(join(__dirname, rel), 'utf8')) as Record<string, unknown>;
    } catch {
      /* try the next layout */
    }
  }
  return null;
}

const pkg = readJson(['../package.json', '../../package.json']);
const built = readJson(['build_info.json']);
const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);

export const VERSION = str(pkg?.version) ?? '0.0.0';

/** What selfheal_build_info reports. */
export const BUILD = {
  version: VERSION,
  revision: str(built?.revision) ?? str(pkg?.gitHead) ?? 'unknown',
  nodejs_version: process.version,
};
