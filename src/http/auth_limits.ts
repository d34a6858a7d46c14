// What keeps the web gate's password checks from being turned against the service: token buckets per
// client address (failed attempts; the web config's rate_limit), and bcrypt in one worker thread with a
// bounded queue — a password flood costs at most one core, never the event loop, and is refused
// cheaply (429) once an address has failed too often or the queue is full.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CompareAnswer, CompareRequest } from './bcrypt_worker';

/** Token buckets by key (a client address), each `burst` deep and refilled one per `intervalMs`; bounded in number. */
export class Buckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly intervalMs: number,
    private readonly clock: () => number,
    /** Keys remembered at most: beyond, the fullest (idle longest) are forgotten first. */
    private readonly max = 10_000,
  ) {}

  /** Takes a token for `key`; false when its bucket is empty. */
  take(key: string): boolean {
    const b = this.refill(key);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Whether `key` has a token left (without taking it). */
  has(key: string): boolean {
    return this.refill(key).tokens >= 1;
  }

  /** Milliseconds until `key` has a token again (0: it has one). */
  waitMs(key: string): number {
    const b = this.refill(key);
    return b.tokens >= 1 ? 0 : Math.ceil((1 - b.tokens) * this.intervalMs);
  }

  private refill(key: string): { tokens: number; at: number } {
    const now = this.clock();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.max) this.evict(now);
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
      return b;
    }
    b.tokens = Math.min(this.burst, b.tokens + (now - b.at) / this.intervalMs);
    b.at = now;
    return b;
  }

  /** Forgets the keys whose buckets are full again (they lose nothing); if none are, the oldest tenth. */
  private evict(now: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + (now - b.at) / this.intervalMs >= this.burst) this.buckets.delete(k);
    if (this.buckets.size < this.max) return;
    let n = Math.ceil(this.max / 10);
    for (const k of this.buckets.keys()) {
      if (n-- <= 0) break;
      this.buckets.delete(k);
    }
  }
}

/** Thrown (as a rejection) when the bcrypt queue is full: answer 429 at once, without computing anything. */
export class BcryptBusy extends Error {
  constructor() {
    super('too many password checks in progress');
  }
}

/** The bcrypt worker ends after this long without a comparison (an idle worker thread costs ~0.06 % of a core). */
const WORKER_IDLE_MS = 60_000;

/**
 * bcrypt comparisons in one worker thread, at most `maxQueued` waiting or running: one core at most,
 * whatever arrives. The worker starts on the first comparison, ends after a minute without one, and
 * never keeps the process alive.
 */
export class BcryptQueue {
  private worker: Worker | null = null;
  private idle: NodeJS.Timeout | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (m: boolean) => void; reject: (e: Error) => void }>();

  constructor(private readonly maxQueued: number) {}

  /** Comparisons waiting or running now. */
  get queued(): number {
    return this.waiting.size;
  }

  /** Whether `pass` matches the bcrypt `hash`; rejects with BcryptBusy when the queue is full. */
  compare(pass: string, hash: string): Promise<boolean> {
    if (this.waiting.size >= this.maxQueued) return Promise.reject(new BcryptBusy());
    const w = this.start();
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      if (this.waiting.size === 0) void this.close();
    }, WORKER_IDLE_MS);
    this.idle.unref();
    const id = this.nextId++;
    return new Promise<boolean>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ id, pass, hash } satisfies CompareRequest);
    });
  }

  /** Stops the worker; what waits is rejected. */
  async close(): Promise<void> {
    if (this.idle) clearTimeout(this.idle);
    const w = this.worker;
    this.worker = null;
    this.failAll(new Error('password checks stopped'));
    if (w) await w.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(join(__dirname, 'bcrypt_worker.js'));
    w.unref();
    w.on('message', (a: CompareAnswer) => {
      const p = this.waiting.get(a.id);
      if (!p) return;
      this.waiting.delete(a.id);
      if (a.error) p.reject(new Error(a.error));
      else p.resolve(a.match);
    });
    // A worker that dies takes its queue with it (each answered 401); the next comparison starts another.
    const gone = (err: Error) => {
      if (this.worker === w) this.worker = null;
      this.failAll(err);
    };
    w.on('error', gone);
    w.on('exit', (code) => gone(new Error(`password worker exited (${code})`)));
    this.worker = w;
    return w;
  }

  private failAll(err: Error): void {
    for (const p of this.waiting.values()) p.reject(err);
    this.waiting.clear();
  }
}
