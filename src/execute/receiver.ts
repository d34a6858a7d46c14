// The Alertmanager webhook receiver, mounted into `selfheal serve`.
import express, { type Request, type Response } from 'express';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkCredentials, requireAuth } from '../serve/auth';
import type { Service, ServicePlugin } from '../serve/service';
import { RecoveryExecutor, type IntakeResult, type Recorded } from './executor';
import { SqliteJournal, type ActionRecord, type JournalStore } from './journal';
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
}

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

  const store = opts.store ?? new SqliteJournal(cfg.recovery.journal_path, cfg.recovery.journal_synchronous);
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
  }, opts.schedule ?? true);

  const operator = requireAuth({ bearer: cfg.api.token, basic: null });
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
    if (!auth.ok) {
      req.resume();
      return send(res, auth.status, { error: auth.reason }, auth.status === 401 ? { 'WWW-Authenticate': cfg.receiver.basic_auth ? 'Basic realm="selfheal"' : 'Bearer' } : {});
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > cfg.receiver.max_body_bytes) {
      req.resume();
      return send(res, 413, { error: 'request body too large' });
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
      if (tooLarge) return send(res, 413, { error: 'request body too large' });
      let body: unknown;
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        body = text.length ? JSON.parse(text) : {};
      } catch (err) {
        return send(res, 400, { error: `malformed JSON: ${(err as Error).message}` });
      }
      const parsed = parseWebhook(body);
      if (!parsed.ok) return send(res, 400, { error: parsed.error });
      for (const a of parsed.value.alerts) {
        received.inc({ status: a.status });
        if (foreignReason(a.labels, cfg.instance)) foreign.inc();
      }
      queued.push({ alerts: parsed.value.alerts, res });
      if (queued.length === 1) setImmediate(flush);
    });
  };

  // Group commit: the deliveries that arrived in one turn of the event loop are recorded in one
  // transaction, and each is answered once that transaction is durable. One commit per delivery
  // was most of the intake's CPU (every commit writes the touched index pages to the WAL).
  let queued: { alerts: AlertIn[]; res: ServerResponse }[] = [];
  const flush = () => {
    const batch = queued;
    queued = [];
    let recorded: Recorded[];
    try {
      recorded = executor.recordMany(batch.map((d) => d.alerts));
    } catch (err) {
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

  return {
    executor,
    store,
    raw: { 'POST /alertmanager/webhook': webhook },
    mount(app) {
      app.get('/recovery/pending', (_req, res) => {
        res.json(executor.pending().map(view));
      });
      app.get('/recovery/history', (req, res) => {
        const limit = Math.min(1000, Math.max(1, Number(req.query.limit) || 100));
        res.json(store.history(limit).map(view));
      });
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
      executor.kick();
    },
    async stop() {
      executor.stop();
      // Give in-flight actions a short grace period; one still running is journaled as `running`
      // and comes back as "interrupted, needs approval" — never re-run blindly.
      const grace = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000).unref());
      if ((await Promise.race([executor.idle().then(() => 'idle' as const), grace])) === 'idle') store.close();
    },
  };
}
