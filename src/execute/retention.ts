// Retention: the journal keeps recovery.retention_days of resolved, terminal alert instances (an
// unresolved alert's records are never compacted: see JournalStore.compact).
import type { RecoveryConfig } from '../config/types';
import type { Logger } from '../log/logger';
import type { JournalStore } from './journal';

const HOUR_MS = 3600_000;

/** Compacts the journal at start and hourly. */
export class Retention {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Pick<JournalStore, 'compact'>,
    private readonly recovery: Pick<RecoveryConfig, 'retention_days'>,
    private readonly clock: () => number,
    private readonly logger: Logger,
  ) {}

  private cutoff(): number {
    return this.clock() - this.recovery.retention_days * 86400_000;
  }

  /** Compacts everything past retention now, in one go; returns the records deleted. */
  compact(): number {
    const cutoff = this.cutoff();
    let total = 0;
    for (let n = -1; n !== 0; total += n) n = this.store.compact(cutoff);
    if (total) this.logger.info({ deleted: total, retention_days: this.recovery.retention_days }, 'journal compacted');
    return total;
  }

  /** Compacts now, then hourly a batch per event-loop turn: a large backlog never holds /policy. */
  start(): void {
    this.compact();
    this.timer = setInterval(() => {
      const cutoff = this.cutoff();
      const step = () => {
        try {
          if (this.store.compact(cutoff) > 0) setImmediate(step);
        } catch (err) {
          this.logger.error({ err: (err as Error).message }, 'journal compaction failed');
        }
      };
      step();
    }, HOUR_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
