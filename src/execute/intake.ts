// The webhook's intake, without HTTP: a delivery's body parsed and validated (a large one a slice
// per event-loop turn), counted, recorded, and answered once what it acknowledges is durable.
//
// Group commit: the deliveries that arrive in one turn of the event loop are recorded in one
// transaction, and each is answered once that transaction is durable. One commit per delivery
// was most of the intake's CPU (every commit writes the touched index pages to the WAL).
import type { Logger } from '../log/logger';
import type { IntakeResult, Recorded, RecoveryExecutor } from './executor';
import type { JournalStore } from './journal';
import type { RecoveryMetrics } from './metrics';
import { parseWebhook, type AlertIn } from './webhook';

/** Alerts of one delivery recorded per transaction and event-loop turn, beyond which a delivery is sliced. */
export const SLICE_ALERTS = 250;

/** What to answer a delivery: its status code and JSON body. */
export type IntakeAnswer = { status: 200; body: IntakeResult } | { status: 400 | 500 | 503; body: { error: string } };

/** What the intake records with, counts into and tells. */
export interface IntakeDeps {
  /** Records deliveries (in one transaction) and acts on what was recorded: the executor. */
  recorder: Pick<RecoveryExecutor, 'recordMany' | 'afterRecord'>;
  store: Pick<JournalStore, 'problem'>;
  metrics: Pick<RecoveryMetrics, 'alertsReceived' | 'deduplicated'>;
  logger: Logger;
  /** This host's `instance` (fleet mode), or null: alerts about another are counted as foreign. */
  instance: () => string | null;
  /** The intake counters moved: the next scrape renders afresh. */
  changed: () => void;
}

const NOT_RECORDED: IntakeAnswer = { status: 503, body: { error: 'could not record the alerts; retry' } };
const NOT_ACTED: IntakeAnswer = { status: 500, body: { error: 'recorded, but acting on the alerts failed (see the log)' } };

const turn = () => new Promise<void>((r) => setImmediate(r));

/** The intake of webhook deliveries: `receive` a body, get the answer once it is durable (or why not). */
export class Intake {
  private queued: { alerts: AlertIn[]; answer: (a: IntakeAnswer) => void }[] = [];
  /** The last group commit's failure, until one succeeds: the service is not ready meanwhile. */
  private recordError: string | null = null;

  constructor(private readonly deps: IntakeDeps) {}

  /** Why the journal cannot record right now (its file gone or replaced, or the last commit failed), or null. */
  notReady(): string | null {
    return this.deps.store.problem() ?? (this.recordError ? `the journal cannot record: ${this.recordError}` : null);
  }

  /** A received body (JSON text): parsed, validated, counted, then recorded; resolves with the answer. */
  async receive(text: string): Promise<IntakeAnswer> {
    let body: unknown;
    try {
      body = text.length ? JSON.parse(text) : {};
    } catch (err) {
      return { status: 400, body: { error: `malformed JSON: ${(err as Error).message}` } };
    }
    const list = (body as { alerts?: unknown } | null)?.alerts;
    const total = Array.isArray(list) ? list.length : 0;
    const alerts: AlertIn[] = [];
    for (let from = 0; from === 0 || from < total; from += SLICE_ALERTS) {
      if (from) await turn();
      const parsed = parseWebhook(body, from, from + SLICE_ALERTS);
      if (!parsed.ok) return { status: 400, body: { error: parsed.error } };
      for (const a of parsed.value.alerts) alerts.push(a);
    }
    this.deps.metrics.alertsReceived(alerts, this.deps.instance());
    if (alerts.length > SLICE_ALERTS) return this.recordLarge(alerts);
    return new Promise((answer) => {
      this.queued.push({ alerts, answer });
      if (this.queued.length === 1) setImmediate(() => this.flush());
    });
  }

  /** Records this turn's deliveries in one transaction: all are acknowledged, or none. */
  private flush(): void {
    const batch = this.queued;
    this.queued = [];
    let recorded: Recorded[];
    try {
      recorded = this.commit(() => this.deps.recorder.recordMany(batch.map((d) => d.alerts)));
    } catch (err) {
      // Only a failure to record is a 5xx: Alertmanager will retry, and the retry is idempotent.
      this.deps.logger.error({ err: (err as Error).message, deliveries: batch.length }, 'could not record webhook deliveries');
      for (const d of batch) d.answer(NOT_RECORDED);
      return;
    }
    batch.forEach((d, i) => d.answer(this.act(recorded[i])));
    this.deps.changed();
  }

  /**
   * A storm in one delivery (10,000 alerts) is recorded a slice per transaction and event-loop turn,
   * and answered once all of it is durable: /policy and /metrics keep being served meanwhile. If a
   * slice fails the answer is 503 — the retry records the rest (the slices already durable dedup).
   */
  private async recordLarge(alerts: AlertIn[]): Promise<IntakeAnswer> {
    const total: IntakeResult = { received: alerts.length, recorded: 0, deduplicated: 0 };
    for (let i = 0; i < alerts.length; i += SLICE_ALERTS) {
      if (i) await turn();
      let rec: Recorded;
      try {
        rec = this.commit(() => this.deps.recorder.recordMany([alerts.slice(i, i + SLICE_ALERTS)])[0]);
      } catch (err) {
        this.deps.logger.error(
          { err: (err as Error).message, alerts: alerts.length, recorded_before: i },
          'could not record a webhook delivery',
        );
        return NOT_RECORDED;
      }
      const r = this.act(rec, false);
      if (r.status !== 200) return r;
      total.recorded += r.body.recorded;
      total.deduplicated += r.body.deduplicated;
    }
    this.deps.metrics.deduplicated(total.deduplicated);
    this.deps.changed();
    return { status: 200, body: total };
  }

  /**
   * One transaction, checked first (a stat): a journal removed or replaced under us would acknowledge
   * alerts into a file nobody will read again. Its failure is remembered until a commit succeeds.
   */
  private commit<T>(record: () => T): T {
    try {
      const problem = this.deps.store.problem();
      if (problem) throw new Error(problem);
      const out = record();
      this.recordError = null;
      return out;
    } catch (err) {
      this.recordError = (err as Error).message;
      throw err;
    }
  }

  /** Acts on a durable delivery: a failure here is a 500 (recorded, and a retry would only deduplicate). */
  private act(rec: Recorded, count = true): IntakeAnswer {
    let result: IntakeResult;
    try {
      result = this.deps.recorder.afterRecord(rec);
    } catch (err) {
      this.deps.logger.error({ err: (err as Error).message }, 'could not act on a recorded webhook delivery');
      return NOT_ACTED;
    }
    if (count) this.deps.metrics.deduplicated(result.deduplicated);
    return { status: 200, body: result };
  }
}
