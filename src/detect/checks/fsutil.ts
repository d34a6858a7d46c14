import { stat, type Stats } from 'node:fs';

/**
 * stat() that resolves null for a missing file and rejects for anything else (permission, I/O).
 * The callback API: at 10,000 checks a cycle it is measurably lighter than fs/promises.
 */
export function statOrNull(path: string): Promise<Stats | null> {
  return new Promise((resolve, reject) => {
    stat(path, (err, st) => {
      if (!err) return resolve(st);
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return resolve(null);
      reject(err);
    });
  });
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
