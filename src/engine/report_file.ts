import { open, rename, unlink, writeFile } from 'node:fs/promises';
import type { HealthReport } from '../types';
import type { Steps } from '../util/slices';
import { writeFileAtomic } from '../util/atomic_file';

/** Readers see the old report or the new one, never a torn file. */
export function writeReportAtomic(path: string, report: HealthReport): void {
  writeFileAtomic(path, JSON.stringify(report, null, 2) + '\n');
}

const skipped = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';

const walked = (v: unknown, depth: number): v is object =>
  depth > 0 && v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON !== 'function';

/**
 * JSON.stringify(value) in pieces: objects and arrays down to `depth` are walked element by
 * element, anything deeper is stringified whole. Joined, the pieces equal JSON.stringify(value).
 * An element and its key or comma make one piece: 10,000 subsystems are 10,000 pieces, not 30,000.
 */
export function* jsonPieces(value: unknown, depth: number): Generator<string, void, void> {
  if (!walked(value, depth)) {
    yield JSON.stringify(value) ?? 'null';
    return;
  }
  if (Array.isArray(value)) {
    yield '[';
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const head = i > 0 ? ',' : '';
      if (walked(v, depth - 1)) {
        yield head;
        yield* jsonPieces(v, depth - 1);
      } else yield head + (skipped(v) ? 'null' : (JSON.stringify(v) ?? 'null'));
    }
    yield ']';
    return;
  }
  yield '{';
  let first = true;
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (skipped(v)) continue;
    const head = `${first ? '' : ','}${JSON.stringify(k)}:`;
    first = false;
    if (walked(v, depth - 1)) {
      yield head;
      yield* jsonPieces(v, depth - 1);
    } else yield head + JSON.stringify(v);
  }
  yield '}';
}

const CHUNK_CHARS = 64 * 1024;

/** The compact JSON of a value as UTF-8 chunks of about CHUNK_CHARS, a piece per step. */
export function* jsonChunks(value: unknown, depth: number): Steps<Buffer[]> {
  const chunks: Buffer[] = [];
  let pending: string[] = [];
  let pendingChars = 0;
  for (const piece of jsonPieces(value, depth)) {
    pending.push(piece);
    pendingChars += piece.length;
    if (pendingChars >= CHUNK_CHARS) {
      chunks.push(Buffer.from(pending.join('')));
      pending = [];
      pendingChars = 0;
    }
    yield;
  }
  chunks.push(Buffer.from(pending.join('')));
  return chunks;
}

/**
 * Temp file + fsync + rename, without holding the event loop. The service writes the report after
 * every cycle this way, as jsonChunks made in slices: at 10,000 subsystems one JSON.stringify of
 * the report is a ~12 ms stall.
 */
export async function writeFileAtomicAsync(path: string, chunks: Buffer[]): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    await writeFile(fh, chunks); // an iterable: each chunk written in full
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
