import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';

/** A fixed "now" for deterministic tests: 2026-11-29T12:00:00Z. */
export const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
export const clockAt = (ms: number) => () => ms;

export function tempDir(prefix = 'selfheal-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Never let cleanup fail a test (or skip the hooks after it): a stopped service may still be
  // finishing an async report write into this folder.
  after(() => {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    } catch {
      /* left for the OS's tmp cleaner */
    }
  });
  return dir;
}

/** Writes a file whose mtime is `ageSec` before `now`. */
export function writeAged(path: string, content: string, ageSec: number, now = NOW): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  const t = (now - ageSec * 1000) / 1000;
  utimesSync(path, t, t);
  return path;
}
