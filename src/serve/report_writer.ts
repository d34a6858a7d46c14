// Every cycle writes the report to report_path (atomically, in the background: the metrics and the
// next cycle matter more than the file), and keeps its bytes for GET /report. Writes coalesce: one at
// a time, and one more for whatever arrived meanwhile.
import { jsonChunks, writeFileAtomicAsync } from '../engine/report_file';
import { LARGE_PLATFORM, runSliced } from '../util/slices';
import { encoded, type Encoded } from '../http/send';
import type { Logger } from '../log/logger';
import type { ServedReport } from '../engine/monitor';

/** Writes the latest report; `bytes` answers GET /report without serializing again. */
export class ReportWriter {
  private writing: Promise<void> | null = null;
  private pending = false;
  private last: { report: ServedReport; body: Encoded } | null = null;

  constructor(
    private readonly path: () => string,
    private readonly latest: () => ServedReport | null,
    private readonly subsystems: number,
    private readonly logger: Logger,
  ) {}

  /** The encoded report, if it is the latest one. */
  bytes(report: ServedReport): Encoded | null {
    return this.last && this.last.report === report ? this.last.body : null;
  }

  /** Writes the latest report now, or once the write in progress ends. */
  async write(): Promise<void> {
    if (this.writing) {
      this.pending = true;
      return;
    }
    this.writing = this.once();
    await this.writing;
    this.writing = null;
    if (this.pending) {
      this.pending = false;
      await this.write();
    }
  }

  /** Resolves once no write is in progress. */
  async idle(): Promise<void> {
    if (this.writing) await this.writing;
  }

  private async once(): Promise<void> {
    const report = this.latest();
    if (!report) return;
    const parts = await runSliced(jsonChunks(report, 2), this.subsystems > LARGE_PLATFORM, true);
    this.last = { report, body: encoded(parts, true) };
    const path = this.path();
    try {
      await writeFileAtomicAsync(path, parts);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, path }, 'could not write the health report');
    }
  }
}
