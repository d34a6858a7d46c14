// The bcrypt comparisons of the web gate, in a worker thread: bcryptjs is JavaScript, ~70 ms of CPU
// per comparison at cost 10, and on the main thread it held the event loop (in 100 ms chunks) while
// /policy waited. One message in, one answer out; the gate bounds how many wait here.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

/** A comparison asked of the worker. */
export interface CompareRequest {
  id: number;
  pass: string;
  hash: string;
}

/** Its answer: whether the password matches, or why it could not be compared. */
export interface CompareAnswer {
  id: number;
  match: boolean;
  error?: string;
}

// The lowest CPU priority for this thread only (Linux: setpriority on its thread id): on a busy host
// the event loop, which answers /policy, wins the core; a password flood waits instead.
try {
  const tid = Number(/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'))?.[1]);
  if (tid) setPriority(tid, 19);
} catch {
  /* not Linux: the bounded queue still bounds the CPU */
}

parentPort?.on('message', (m: CompareRequest) => {
  let answer: CompareAnswer;
  try {
    answer = { id: m.id, match: bcrypt.compareSync(m.pass, m.hash) };
  } catch (err) {
    answer = { id: m.id, match: false, error: (err as Error).message };
  }
  parentPort?.postMessage(answer);
});
