// The Alertmanager webhook receiver, mounted into `selfheal serve`.
import express, { type Request, type Response } from 'express';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkCredentials, requireAuth } from '../http/auth';
import { isJson, type Service, type ServicePlugin } from '../serve/service';
import { dirname, join } from 'node:path';
import { RecoveryExecutor, type IntakeResult, type Recorded } from './executor';
import { SqliteJournal, type ActionRecord, type JournalStore } from './journal';
import { LOCAL_PREFIX, LocalRecovery } from './local';
import { Maintenance, windowView } from './maintenance';
import { recoveryStatus } from './status';
import { parseWebhook, type AlertIn } from './webhook';
import { foreignReason } from './decide';

export interface ReceiverOptions {
  /** Start the timer-driven worker (tests with an injected clock drive `executor.runDue()` themselves). */
  schedule?: boolean;
  store?: JournalStore;
}

export interface Receiver extends ServicePlugin {
  executor: RecoveryExecutor;
  store: JournalStore;
  maintenance: Maintenance;
  /** The local recovery path, when `recovery.local` is on. */
  local: LocalRecovery | null;
  /** Retention: compacts what is older than recovery.retention_days; returns the records deleted. */
  compact(): number;
}

/** Where maintenance windows are kept: beside the journal. */
export function maintenancePath(journalPath: string): string | null {
  return journalPath === ':memory:' ? null : join(dirname(journalPath), 'selfheal_maintenance.json');
}

/** `?limit=&offset=` of the journal listings: limit 1–1000 (default 100), offset ≥ 0. */
function page(q: Record<string, unknown>): { limit: number; offset: number } {
  return { limit: Math.min(1000, Math.max(1, Number(q.limit) || 100)), offset: Math.max(0, Math.floor(Number(q.offset) || 0)) };
}



/** Alerts of one delivery recorded per transaction and event-loop turn, beyond which a delivery is sliced. */
const SLICE_ALERTS = 250;

function reasonOf(body: unknown): string | null {
  const r = (body as { reason?: unknown } | undefined)?.reason;
  return typeof r === 'string' && r.trim() ? r.trim().slice(0, 500) : null;
}

export function createReceiver(svc: Service, opts: ReceiverOptions = {}): Receiver {
  const cfg = svc.config;
  const reg = svc.metrics.registry;
  const received = new Counter({ name: 'selfheal_webhook_alerts_received_total', help: 'Alerts received on the Alertmanager webhook, by the alert\'s own status', labelNames: ['status'], registers: [reg] });
  const deduplicated = new Counter({ name: 'selfheal_webhook_alerts_deduplicated_total', help: 'Alerts delivered again (retries, repeat_interval, HA peers, restarts) and recorded only once', registers: [reg] });
  const duration = new Histogram({ name: 'selfheal_recovery_action_duration_seconds', help: 'Time from starting a recovery action to its outcome (including verification)', labelNames: ['action'], buckets: [0.01, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300], registers: [reg] });
  const pendingGauge = new Gauge({ name: 'selfheal_recovery_pending_approvals', help: 'Recovery actions waiting for approval', registers: [reg] });
  const circuit = new Gauge({ name: 'selfheal_recovery_circuit_open', help: 'Whether the circuit breaker of (subsystem, action) is open (1) and further runs need approval', labelNames: ['subsystem', 'action'], registers: [reg] });
  const foreign = new Counter({ name: 'selfheal_webhook_alerts_foreign_total', help: 'Alerts received about another instance (or none) while `instance` is set: recorded, never acted on', registers: [reg] });
  for (const s of ['firing', 'resolved']) received.inc({ status: s }, 0);
  pendingGauge.set(0);

  const maintGauge = new Gauge({ name: 'selfheal_recovery_maintenance', help: 'Whether a maintenance window suspends automatic recovery (1) for the subsystem, or for all (subsystem="all")', labelNames: ['subsystem'], registers: [reg] });
  maintGauge.set({ subsystem: 'all' }, 0);

  const store = opts.store ?? new SqliteJournal(cfg.recovery.journal_path, cfg.recovery.journal_synchronous);
  const maintenance = new Maintenance(maintenancePath(cfg.recovery.journal_path), svc.clock, () => {
    maintGauge.reset();
    maintGauge.set({ subsystem: 'all' }, 0);
    for (const w of maintenance.list()) maintGauge.set({ subsystem: w.subsystem ?? 'all' }, 1);
    svc.metrics.invalidate();
    svc.policyViewChanged();
    // A window that ends (or is ended) releases what it held: act now, not at some later wake-up.
    executorRef?.maintenanceChanged();
  });
  let executorRef: RecoveryExecutor | null = null;
  for (const w of maintenance.list()) maintGauge.set({ subsystem: w.subsystem ?? 'all' }, 1);
  svc.addReasons(() => maintenance.reasons());
  const shown = new Set<string>();
  const executor = new RecoveryExecutor(cfg, store, svc.monitor, svc.clock, svc.logger.child({ component: 'receiver' }), {
    outcome(action, subsystem, outcome, seconds) {
      svc.metrics.recoveryActions.inc({ action, subsystem, outcome });
      if (seconds !== undefined) duration.observe({ action }, seconds);
    },
    changed() {
      pendingGauge.set(store.countByState('pending_approval'));
      for (const key of new Set([...shown, ...executor.openCircuits])) {
        const [subsystem, action] = key.split('|');
        circuit.set({ subsystem, action }, executor.openCircuits.has(key) ? 1 : 0);
        shown.add(key);
      }
      svc.metrics.invalidate();
    },
  }, opts.schedule ?? true, maintenance);
  executorRef = executor;
  svc.monitor.setRecoveryProbe(executor);
  const local = cfg.recovery.local ? new LocalRecovery(cfg, executor, svc.monitor, svc.clock, svc.logger.child({ component: 'local-recovery' })) : null;

  const operator = requireAuth(() => ({ bearer: cfg.api.token, basic: null })); // read per request: reloadable
  const small = express.json({ limit: '16kb' });
  const view = (r: ActionRecord) => r;

  const send = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...extra });
    res.end(text);
  };

  /** POST /alertmanager/webhook, served ahead of Express: this is the intake's hot path. */
  const webhook = (req: IncomingMessage, res: ServerResponse) => {
    const auth = checkCredentials(req, { bearer: cfg.receiver.bearer_token, basic: cfg.receiver.basic_auth });
    // Refusals close the connection without reading the body: an unauthenticated 10 GB upload costs nothing.
    if (!auth.ok) {
      const www: Record<string, string> = auth.status === 401 ? { 'WWW-Authenticate': cfg.receiver.basic_auth ? 'Basic realm="selfheal"' : 'Bearer' } : {};
      return send(res, auth.status, { error: auth.reason }, { ...www, Connection: 'close' });
    }
    if (!isJson(req.headers['content-type'])) {
      return send(res, 415, { error: 'Content-Type: expected application/json' }, { Connection: 'close' });
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > cfg.receiver.max_body_bytes) {
      return send(res, 413, { error: 'request body too large' }, { Connection: 'close' });
    }
    const problem = store.problem();
    if (problem) {
      svc.logger.error({ problem }, 'the journal cannot record: answering 503');
      return send(res, 503, { error: `could not record the alerts (${problem}); retry` }, { Connection: 'close' });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > cfg.receiver.max_body_bytes) tooLarge = true;
      else if (!tooLarge) chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      intake(chunks, tooLarge, res).catch((err: unknown) => {
        svc.logger.error({ err: (err as Error).message }, 'webhook intake failed');
        if (!res.headersSent) send(res, 500, { error: 'intake failed (see the log)' });
      });
    });
  };

  /** A received body: parsed, validated (a large one a slice per turn), counted, then recorded. */
  const intake = async (chunks: Buffer[], tooLarge: boolean, res: ServerResponse) => {
    if (tooLarge) return send(res, 413, { error: 'request body too large' });
    let body: unknown;
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      body = text.length ? JSON.parse(text) : {};
    } catch (err) {
      return send(res, 400, { error: `malformed JSON: ${(err as Error).message}` });
    }
    const list = (body as { alerts?: unknown } | null)?.alerts;
    const total = Array.isArray(list) ? list.length : 0;
    const alerts: AlertIn[] = [];
    for (let from = 0; from === 0 || from < total; from += SLICE_ALERTS) {
      if (from) await new Promise((r) => setImmediate(r));
      const parsed = parseWebhook(body, from, from + SLICE_ALERTS);
      if (!parsed.ok) return send(res, 400, { error: parsed.error });
      for (const a of parsed.value.alerts) alerts.push(a);
    }
    const firing = alerts.filter((a) => a.status === 'firing').length;
    if (firing) received.inc({ status: 'firing' }, firing); // one inc per status: a 10,000-alert delivery costs two
    if (alerts.length > firing) received.inc({ status: 'resolved' }, alerts.length - firing);
    if (cfg.instance !== null) {
      const about = alerts.filter((a) => foreignReason(a.labels, cfg.instance)).length;
      if (about) foreign.inc(about);
    }
    if (alerts.length > SLICE_ALERTS) return void recordLarge(alerts, res);
    queued.push({ alerts, res });
    if (queued.length === 1) setImmediate(flush);
  };

  // Group commit: the deliveries that arrived in one turn of the event loop are recorded in one
  // transaction, and each is answered once that transaction is durable. One commit per delivery
  // was most of the intake's CPU (every commit writes the touched index pages to the WAL).
  let queued: { alerts: AlertIn[]; res: ServerResponse }[] = [];
  /** The last group commit's failure, until one succeeds: the service is not ready meanwhile. */
  let recordError: string | null = null;
  /**
   * A storm in one delivery (10,000 alerts) is recorded a slice per transaction and event-loop turn,
   * and answered once all of it is durable: /policy and /metrics keep being served meanwhile. If a
   * slice fails the answer is 503 — the retry records the rest (the slices already durable dedup).
   */
  const recordLarge = async (alerts: AlertIn[], res: ServerResponse) => {
    const total: IntakeResult = { received: alerts.length, recorded: 0, deduplicated: 0 };
    for (let i = 0; i < alerts.length; i += SLICE_ALERTS) {
      if (i) await new Promise((r) => setImmediate(r));
      let rec: Recorded;
      try {
        const problem = store.problem();
        if (problem) throw new Error(problem);
        rec = executor.recordMany([alerts.slice(i, i + SLICE_ALERTS)])[0];
        recordError = null;
      } catch (err) {
        recordError = (err as Error).message;
        svc.logger.error({ err: recordError, alerts: alerts.length, recorded_before: i }, 'could not record a webhook delivery');
        return send(res, 503, { error: 'could not record the alerts; retry' });
      }
      try {
        const r = executor.afterRecord(rec);
        total.recorded += r.recorded;
        total.deduplicated += r.deduplicated;
      } catch (err) {
        svc.logger.error({ err: (err as Error).message }, 'could not act on a recorded webhook delivery');
        return send(res, 500, { error: 'recorded, but acting on the alerts failed (see the log)' });
      }
    }
    if (total.deduplicated) deduplicated.inc(total.deduplicated);
    send(res, 200, total);
    svc.metrics.invalidate();
  };

  const flush = () => {
    const batch = queued;
    queued = [];
    let recorded: Recorded[];
    try {
      // Checked before each group commit (a stat): a journal removed or replaced under us would
      // acknowledge alerts into a file nobody will read again.
      const problem = store.problem();
      if (problem) throw new Error(problem);
      recorded = executor.recordMany(batch.map((d) => d.alerts));
      recordError = null;
    } catch (err) {
      recordError = (err as Error).message;
      // Only a failure to record is a 5xx: Alertmanager will retry, and the retry is idempotent.
      svc.logger.error({ err: (err as Error).message, deliveries: batch.length }, 'could not record webhook deliveries');
      for (const d of batch) send(d.res, 503, { error: 'could not record the alerts; retry' });
      return;
    }
    batch.forEach((d, i) => {
      let result: IntakeResult;
      try {
        result = executor.afterRecord(recorded[i]);
      } catch (err) {
        svc.logger.error({ err: (err as Error).message }, 'could not act on a recorded webhook delivery');
        return send(d.res, 500, { error: 'recorded, but acting on the alerts failed (see the log)' });
      }
      if (result.deduplicated) deduplicated.inc(result.deduplicated);
      send(d.res, 200, result);
    });
    svc.metrics.invalidate(); // the intake counters moved: the next scrape renders afresh
  };

  const compact = () => {
    const cutoff = svc.clock() - cfg.recovery.retention_days * 86400_000;
    let total = 0;
    for (let n = -1; n !== 0; total += n) n = store.compact(cutoff);
    if (total) svc.logger.info({ deleted: total, retention_days: cfg.recovery.retention_days }, 'journal compacted');
    return total;
  };
  let compactTimer: NodeJS.Timeout | null = null;

  return {
    executor,
    store,
    maintenance,
    local,
    compact,
    raw: cfg.receiver.enabled ? { 'POST /alertmanager/webhook': webhook } : {},
    notReady() {
      const problem = store.problem() ?? (recordError ? `the journal cannot record: ${recordError}` : null);
      return problem;
    },
    mount(app) {
      mountMaintenance(app, svc, maintenance, operator, small);
      app.get('/recovery/status', (_req, res) => {
        res.set('Cache-Control', 'no-store').json(recoveryStatus(svc.monitor, store, maintenance, cfg.recovery.local));
      });
      // The journal holds alert labels and operator reasons: read access is the operator's, like writes.
      app.get('/recovery/pending', operator, (req, res) => {
        const { limit, offset } = page(req.query);
        res.json(executor.pending(limit, offset).map(view));
      });
      app.get('/recovery/history', operator, (req, res) => {
        const { limit, offset } = page(req.query);
        res.json(store.history(limit, offset).map(view));
      });
      app.get('/recovery/floors', operator, (_req, res) => {
        res.json({ floors: executor.floors() });
      });
      const lift = (key: string | null) => (req: Request, res: Response) => {
        const reason = typeof req.query.reason === 'string' && req.query.reason.trim() ? req.query.reason.trim().slice(0, 500) : 'lifted by operator';
        const which = key ?? String(req.params.key);
        const lifted = executor.clearFloors(which || null, reason);
        if (which && !lifted.length) return void res.status(404).json({ error: `no recovery floor ${which}` });
        res.json({ lifted, floors: executor.floors(), policy: svc.policy().policy });
      };
      app.delete('/recovery/floors', operator, lift(''));
      app.delete('/recovery/floors/:key', operator, lift(null));
      const decideRoute = (verb: 'approve' | 'reject') => (req: Request, res: Response) => {
        const reason = reasonOf(req.body);
        if (!reason) return void res.status(400).json({ error: 'reason: required, a non-empty string' });
        const r = executor[verb](String(req.params.id), reason);
        if ('error' in r) return void res.status(r.status).json({ error: r.error });
        res.json(r);
      };
      app.post('/recovery/:id/approve', operator, small, decideRoute('approve'));
      app.post('/recovery/:id/reject', operator, small, decideRoute('reject'));
    },
    async start() {
      executor.recover();
      svc.monitor.seedEpisodes(episodeSeeds(store, svc.clock() - cfg.recovery.backoff_reset_sec * 1000));
      local?.start(store.openAlerts(LOCAL_PREFIX));
      compact();
      // Hourly, a batch per event-loop turn: a large backlog never holds /policy.
      compactTimer = setInterval(() => {
        const cutoff = svc.clock() - cfg.recovery.retention_days * 86400_000;
        const step = () => {
          try {
            if (store.compact(cutoff) > 0) setImmediate(step);
          } catch (err) {
            svc.logger.error({ err: (err as Error).message }, 'journal compaction failed');
          }
        };
        step();
      }, 3600_000);
      compactTimer.unref();
      executor.kick();
    },
    async stop() {
      local?.stop();
      maintenance.stop();
      executor.stop();
      if (compactTimer) clearInterval(compactTimer);
      // Give in-flight actions a short grace period; one still running is journaled as `running`
      // and comes back as "interrupted, needs approval" — never re-run blindly.
      const grace = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000).unref());
      if ((await Promise.race([executor.idle().then(() => 'idle' as const), grace])) === 'idle') store.close();
    },
  };
}

/** POST/DELETE/GET /recovery/maintenance: suspend automatic recovery for a subsystem (or all) for a time. */
function mountMaintenance(app: express.Express, svc: Service, maintenance: Maintenance, operator: express.RequestHandler, json: express.RequestHandler): void {
  const known = new Set(svc.monitor.subsystems.map((s) => s.name));
  const list = () => ({ maintenance: maintenance.list().map(windowView) });
  app.get('/recovery/maintenance', (_req, res) => {
    res.json(list());
  });
  app.post('/recovery/maintenance', operator, json, (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const subsystem = body.subsystem ?? null;
    if (subsystem !== null && (typeof subsystem !== 'string' || !known.has(subsystem))) {
      return void res.status(400).json({ error: `subsystem: expected one of the enabled subsystems (or omit it for all), got ${JSON.stringify(subsystem)}` });
    }
    const duration = body.duration_sec;
    if (typeof duration !== 'number' || !(duration > 0) || duration > 7 * 86400) {
      return void res.status(400).json({ error: 'duration_sec: expected a number of seconds, more than 0 and at most 604800' });
    }
    const reason = reasonOf(body);
    if (!reason) return void res.status(400).json({ error: 'reason: required, a non-empty string' });
    const w = maintenance.start(subsystem, duration, reason);
    svc.logger.warn({ ...windowView(w), remote: req.socket.remoteAddress }, 'maintenance window started: automatic recovery suspended');
    res.json(list());
  });
  app.delete('/recovery/maintenance', operator, (req, res) => {
    const q = req.query.subsystem;
    if (q !== undefined && (typeof q !== 'string' || !known.has(q))) {
      return void res.status(400).json({ error: `subsystem: expected one of the enabled subsystems, got ${JSON.stringify(q)}` });
    }
    const ended = maintenance.end(q === undefined ? undefined : q);
    svc.logger.warn({ subsystem: q ?? 'every window', ended, remote: req.socket.remoteAddress }, 'maintenance window ended');
    res.json(list());
  });
}

/**
 * Where each subsystem's unhealthy episode began, from the local path's alerts still open in the journal
 * (recorded since `since`): what a restarted selfheal continues rather than starts afresh. Only the local
 * path's own: they resolve when the recommendation goes away, while an Alertmanager alert whose resolve
 * never came (or a hand-posted one) would stretch an episode back to whenever it was sent.
 */
export function episodeSeeds(store: JournalStore, since: number): Map<string, number> {
  const seeds = new Map<string, number>();
  for (const r of store.openAlerts(LOCAL_PREFIX)) {
    if (!r.subsystem || r.created_at < since) continue;
    seeds.set(r.subsystem, Math.min(seeds.get(r.subsystem) ?? Infinity, r.created_at));
  }
  return seeds;
}
