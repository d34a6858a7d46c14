// A counting semaphore: at most `limit` holders at once, the rest wait in arrival order.

/** Bounds how many of something run at once; `acquire` resolves with the release function. */
export class Semaphore {
  private held = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly limit: () => number) {}

  /** Waits for a slot; call the returned function exactly once to give it back. */
  async acquire(): Promise<() => void> {
    if (this.held >= this.limit()) await new Promise<void>((r) => this.waiters.push(r));
    else this.held++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next)
        next(); // the slot passes straight to the next waiter
      else this.held--;
    };
  }

  /** Holders now, and callers waiting for a slot. */
  usage(): { running: number; waiting: number } {
    return { running: this.held, waiting: this.waiters.length };
  }
}
