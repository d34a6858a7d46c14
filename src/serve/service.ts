// The long-running service: monitor + metrics + HTTP API (+ the recovery receiver when enabled).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Config } from '../config/types';
import { mountConsole } from '../console/routes';
import type { ResourceProbe } from '../detect/resources';
import type { PolicyChange } from '../recommend/policy_state';
import { BUILD, VERSION } from '../version';
import { requireAuth } from '../http/auth';
import type { Refusal } from '../http/front_door';
import { JSON_TYPE, sendBytes, sendParts, TEXT_TYPE } from '../http/send';
import type { Logger } from '../log/logger';
import type { WebConfig } from '../http/web_config';
import { WebGate } from '../http/web_gate';
import { negotiate, sendScrape } from '../metrics/exposition';
import { listen } from './listener';
import { Metrics } from '../metrics/metrics';
import { OperatorState } from './operator';
import type { Flaps } from '../analyze/flapping';
import { ReportWriter } from './report_writer';
import { PolicyStreams } from './streams';
import { Monitor, type InvalidEvidence, type SelfFault, type ServedReport } from '../engine/monitor';
import { policyView, type PolicyView } from '../policy_view';

export interface ServiceDeps {
  clock?: () => number;
  resources: ResourceProbe;
  logger: Logger;
  watchFiles?: boolean;
  schedule?: boolean;
  /** The web configuration file (`--web.config.file`): TLS, basic auth, headers — for every endpoint. */
  web?: WebConfig | null;
}

/** Extensions (the recovery receiver) mount routes and hook into cycles through this. */
export type RawHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ServicePlugin {
  mount(app: express.Express, svc: Service): void;
  /** Hot paths served ahead of Express routing, keyed "METHOD /path". */
  raw?: Record<string, RawHandler>;
  start?(): Promise<void>;
  stop?(): Promise<void>;
  /** Why the service cannot do its job right now (the journal cannot record), or null: `/-/ready` answers 503. */
  notReady?(): string | null;
}

/** What a reload (SIGHUP, `POST /-/reload`) answers; `serve/reload.ts` does the reloading. */
export interface ReloadOutcome {
  ok: boolean;
  /** Why the reload was refused (the key and the reason). */
  error?: string;
  /** Keys whose values changed (empty when the files are unchanged). */
  changed: string[];
  at: string;
}

/**
 * `selfheal serve`: the running pipeline (monitor), the exporter, the policy API and its stream, on one
 * HTTP listener. Plugins (the recovery receiver) mount their routes with `use` before `start`.
 */
export class Service {
  /** The running DETECT → RECOMMEND loop and the policy state machine. */
  readonly monitor: Monitor;
  /** The Prometheus exposition, rendered once per cycle. */
  readonly metrics: Metrics;
  /** The express app the routes are mounted on. */
  readonly app = express();
  /** Wall-clock milliseconds (injected in tests). */
  readonly clock: () => number;
  /** The process logger. */
  readonly logger: Logger;
  private server: Server | TlsServer | null = null;
  /** Present when a web configuration file is in use (even one that turns nothing on: a reload may). */
  readonly web: WebGate | null;
  /** Set by `selfheal serve`: re-reads the files and applies them (SIGHUP, POST /-/reload). */
  reloader: (() => Promise<ReloadOutcome>) | null = null;
  /** The subscribers of /policy/stream: their own connection class (caps, refusals, dropping who does not read). */
  readonly streams: PolicyStreams;
  private keepAlive: NodeJS.Timeout | null = null;
  /** Writes every cycle's report to report_path, and keeps its bytes for GET /report. */
  private readonly reports: ReportWriter;
  private lastCritical = '';
  private readonly plugins: ServicePlugin[] = [];
  /** Extra lines for the served policy's reasons (maintenance windows), from plugins. */
  private readonly reasonSources: (() => string[])[] = [];
  private started = false;
  /** The latch and the override: their routes, and their files (they survive a restart). */
  private readonly operatorState: OperatorState;
  /** The evaluation time of the last `policy` event sent to subscribers. */
  private policyEventAt = '';
  private stopping = false;
  /** GET /policy as bytes, re-encoded on every policy or cycle change (null before the first cycle). */
  private policyBytes: Buffer | null = null;
  /** The hot paths plugins serve ahead of Express ("METHOD /path"), known once started. */
  private rawRoutes: string[] = [];
  /** Refusals already logged (one line per distinct Host or Origin, not one per request). */
  private readonly refusalsLogged = new Set<string>();

  constructor(
    /** The running configuration (a reload updates its live keys in place). */
    readonly config: Config,
    deps: ServiceDeps,
  ) {
    this.clock = deps.clock ?? Date.now;
    this.logger = deps.logger;
    this.web = deps.web ? new WebGate(deps.web, this.clock) : null;
    this.streams = new PolicyStreams(() => config.api, deps.logger);
    this.monitor = new Monitor(config, {
      clock: this.clock,
      resources: deps.resources,
      logger: deps.logger,
      watchFiles: deps.watchFiles,
      schedule: deps.schedule,
    });
    // An unreadable override file refuses the start here (exit 3), before anything listens.
    this.reports = new ReportWriter(
      () => this.config.report_path,
      () => this.monitor.report,
      this.monitor.subsystems.length,
      deps.logger,
    );
    this.operatorState = new OperatorState(config.recovery.journal_path, this.monitor, this.clock, deps.logger);
    this.metrics = new Metrics(
      BUILD,
      this.monitor.subsystems.map((s) => s.name),
    );
    this.monitor.on('cycle', (r: ServedReport) => this.onCycle(r));
    this.monitor.on('policy', (c: PolicyChange) => this.onPolicyChange(c));
    this.monitor.on('flaps', (f: ReadonlyMap<string, Flaps>) => this.operatorState.flapsChanged(f));
    this.monitor.on('selfFault', (f: SelfFault) => {
      this.metrics.internalErrors.inc({ kind: f.kind });
      this.metrics.invalidate();
    });
    this.monitor.on('invalidEvidence', (e: InvalidEvidence) =>
      this.metrics.evidenceInvalid.inc({ subsystem: e.subsystem, reason: e.reason }),
    );
    this.app.disable('x-powered-by');
    this.app.set('etag', false);
  }

  /** Adds a plugin: its routes are mounted now, its start/stop run with the service's. */
  use(plugin: ServicePlugin): void {
    this.plugins.push(plugin);
  }

  /** Adds lines to the served policy's reasons; call policyViewChanged() when they change. */
  addReasons(source: () => string[]): void {
    this.reasonSources.push(source);
  }

  /** Subscribers see the policy view again (its reasons changed without a policy change). */
  policyViewChanged(): void {
    this.encodePolicy();
    this.broadcast('policy', this.policy());
  }

  /** Ready: the first cycle is in the metrics, and nothing of our own is failing (EMFILE, overload, the journal). */
  get ready(): boolean {
    return this.notReady() === null;
  }

  /** The policy a bot gets from `GET /policy` now. */
  policy(): PolicyView {
    const r = this.monitor.report;
    // Before the first cycle: the start-up policy, or a latch restored from before a restart.
    if (!r)
      return policyView(
        this.monitor.policy.policy,
        false,
        ['first check cycle has not completed', ...this.monitor.policy.reasons()],
        this.clock(),
        { ...this.config.policy, valid_for_sec: 0 },
        this.monitor.policy.isLatched,
      );
    const reasons = this.monitor.policy.reasons();
    for (const src of this.reasonSources) reasons.push(...src());
    return policyView(
      r.current_safety_policy,
      r.trading_should_continue,
      reasons,
      this.monitor.lastCycleAt,
      this.config.policy,
      this.monitor.policy.isLatched,
    );
  }

  /** Re-encodes GET /policy from the view (whatever fields it has): called on every policy or cycle change. */
  private encodePolicy(): void {
    this.policyBytes = this.monitor.report ? Buffer.from(JSON.stringify(this.policy())) : null;
  }

  /** Why `/-/ready` is 503, or null. */
  notReady(): string | null {
    if (!this.started) return 'First check cycle still running';
    const own = this.monitor.selfFaulted.values().next();
    if (!own.done) return `selfheal's own fault (${own.value.kind}) while checking ${own.value.subsystem}: ${own.value.error}`;
    for (const p of this.plugins) {
      const why = p.notReady?.();
      if (why) return why;
    }
    return null;
  }

  private onCycle(r: ServedReport): void {
    this.encodePolicy();
    this.metrics.refresh(this.monitor);
    const s = r.summary;
    // Every cycle, so debug: at info it drowned the lines that matter (policy changes, critical issues).
    this.logger.debug(
      {
        overall: r.overall_status,
        policy: r.current_safety_policy,
        evaluated_policy: r.evaluated_safety_policy,
        issues: r.detected_issues.length,
        ...s,
      },
      `Health check complete: Overall=${r.overall_status}, Policy=${r.current_safety_policy}`,
    );
    const critical = r.detected_issues.filter((i) => i.severity === 'critical');
    const key = critical.map((i) => i.description).join('|');
    if (key !== this.lastCritical) {
      this.lastCritical = key;
      if (critical.length)
        this.logger.error(
          { issues: critical.map((i) => ({ subsystem: i.subsystem, description: i.description, root_cause: i.root_cause })) },
          `${critical.length} CRITICAL ISSUES detected`,
        );
    }
    const view = this.policy();
    // A policy change of this same evaluation already told every subscriber all a refresh would:
    // one event per subscriber, not two (1,000 subscribers read half as much).
    if (view.timestamp !== this.policyEventAt)
      this.broadcast('refresh', { timestamp: view.timestamp, valid_until: view.valid_until, policy: view.policy });
    void this.reports.write();
  }

  private onPolicyChange(c: PolicyChange): void {
    this.operatorState.changed(c);
    this.encodePolicy();
    this.metrics.policyChanges.inc();
    this.metrics.invalidate();
    this.logger.warn({ from: c.from, to: c.to, reasons: c.reasons }, `Safety policy changed: ${c.from} → ${c.to}`);
    const view = this.policy();
    this.policyEventAt = view.timestamp;
    this.broadcast('policy', view);
  }

  /** One encoding for every subscriber; one that falls behind is dropped (memory stays bounded). */
  private broadcast(event: string, data: unknown): void {
    this.writeStreams(Buffer.from(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
  }

  private writeStreams(msg: Buffer): void {
    this.streams.write(msg);
  }

  private routes(): void {
    const app = this.app;
    const operator = requireAuth(() => ({ bearer: this.config.api.token, basic: null }));
    mountConsole(app, {
      config: this.config,
      version: VERSION,
      policy: this.monitor.policy,
      view: () => this.policy(),
      overall: () => this.monitor.report?.overall_status ?? null,
      clock: this.clock,
      webBasicAuth: () => (this.web?.config.users.size ?? 0) > 0,
    });
    app.get('/metrics', async (req, res) => {
      const want = negotiate(req.headers);
      sendScrape(res, want, await (await this.metrics.render()).get(want));
    });
    app.get('/-/healthy', (_req, res) => {
      res.type('text').send('OK\n');
    });
    app.get('/-/ready', (_req, res) => {
      const why = this.notReady();
      res
        .status(why ? 503 : 200)
        .type('text')
        .send(why ? `${why}\n` : 'Ready\n');
    });
    app.get('/report', (_req, res) => {
      if (!this.monitor.report) return void res.status(503).json({ error: 'first check cycle has not completed' });
      const bytes = this.reports.bytes(this.monitor.report);
      if (bytes) return void sendParts(res, JSON_TYPE, bytes);
      res.json(this.monitor.report);
    });
    app.get('/health/system', (_req, res) => {
      if (!this.monitor.report) return void res.status(503).json({ error: 'first check cycle has not completed' });
      res.json(systemShape(this.monitor.report, this.policy()));
    });
    app.post('/health/force-check', async (_req, res) => {
      const r = await this.monitor.forceCheck();
      res.json({
        timestamp: r.timestamp,
        status: r.overall_status,
        issues: r.detected_issues.map((i) => ({ subsystem: i.subsystem, severity: i.severity, description: i.description })),
      });
    });
    app.get('/policy', (_req, res) => {
      res.set('Cache-Control', 'no-store').json(this.policy());
    });
    app.get('/policy/stream', (req, res) => {
      if (this.stopping) return void res.status(503).json({ error: 'shutting down' });
      this.streams.open(req, res, Buffer.from(`retry: 1000\nevent: policy\ndata: ${JSON.stringify(this.policy())}\n\n`));
    });
    this.operatorState.mount(app, operator, () => this.policy());
    app.post('/-/reload', operator, async (_req, res) => {
      if (!this.reloader) return void res.status(501).json({ error: 'reload is only available in selfheal serve' });
      const r = await this.reloader();
      res.status(r.ok ? 200 : 400).json(r);
    });
  }

  /** Listens, runs the first cycle, and resolves with the address once ready (the first cycle is in the metrics). */
  async start(host = this.config.host, port = this.config.port): Promise<AddressInfo> {
    this.routes();
    for (const p of this.plugins) p.mount(this.app, this);
    finalHandlers(this.app, this.logger);
    const server = await listen({
      host,
      port,
      config: this.config,
      web: this.web,
      handler: this.handler(),
      refused: (req, no) => this.refused(req, no),
    });
    this.server = server;
    this.keepAlive = setInterval(() => this.writeStreams(KEEP_ALIVE), 15_000);
    this.keepAlive.unref();
    this.operatorState.restore();
    for (const p of this.plugins) await p.start?.();
    await this.monitor.start();
    await this.metrics.render(); // ready means the first cycle is in the metrics too
    this.started = true;
    return server.address() as AddressInfo;
  }

  /** Scrapes and /policy answered from cached bytes ahead of Express routing (the hot path stays tiny), then the plugins' hot paths. */
  private handler(): (req: IncomingMessage, res: ServerResponse) => void {
    const raw = new Map<string, RawHandler>();
    for (const p of this.plugins) for (const [k, h] of Object.entries(p.raw ?? {})) raw.set(k, h);
    this.rawRoutes = [...raw.keys()];
    return (req, res) => {
      if (req.method === 'GET' && this.fastGet(req, res)) return;
      const hot = raw.size ? raw.get(`${req.method} ${req.url}`) : undefined;
      if (hot) return hot(req, res);
      this.app(req, res);
    };
  }

  /**
   * A reload changed these keys in the running config (in place): the settings that live outside it —
   * the listener's, the policy state machine's hold-down — follow here; the policy view is re-encoded.
   */
  configChanged(keys: string[]): void {
    const c = this.config;
    this.monitor.policy.setHoldDown(c.policy.hold_down_sec * 1000);
    const srv = this.server;
    if (srv) {
      srv.maxConnections = c.api.max_connections;
      srv.requestTimeout = srv.headersTimeout = c.receiver.body_timeout_sec * 1000;
    }
    if (keys.length) this.encodePolicy();
  }

  /** Every route the service answers, as "METHOD /path" (Express's `:param` style), once started. */
  routeList(): string[] {
    const out = new Set(this.rawRoutes);
    for (const p of ['/metrics', '/policy', '/-/healthy', '/-/ready']) out.add(`GET ${p}`);
    const stack = (this.app.router as unknown as { stack: { route?: { path: string; methods: Record<string, boolean> } }[] }).stack;
    for (const layer of stack) {
      const r = layer.route;
      if (!r) continue;
      for (const [m, on] of Object.entries(r.methods)) if (on && m !== '_all') out.add(`${m.toUpperCase()} ${r.path}`);
    }
    return [...out].sort();
  }

  /** Logs a refused request once per distinct reason (a rebinding page may send thousands). */
  private refused(req: IncomingMessage, no: Refusal): void {
    if (this.refusalsLogged.has(no.error)) return;
    if (this.refusalsLogged.size >= 256) return;
    this.refusalsLogged.add(no.error);
    this.logger.warn({ remote: req.socket.remoteAddress, method: req.method, url: req.url, check: no.check }, no.error);
  }

  /** Swaps in a new web configuration (reload); TLS on/off needs a restart and is refused before this. */
  swapWeb(web: WebConfig): void {
    if (!this.web) return;
    this.web.swap(web);
    const srv = this.server;
    if (srv && web.tls && 'setSecureContext' in srv) {
      srv.setSecureContext(web.tls);
      // Per-connection options Node reads from the server for every new handshake.
      Object.assign(srv, { requestCert: web.tls.requestCert, rejectUnauthorized: web.tls.rejectUnauthorized });
    }
  }

  /**
   * What scrapers and bots poll, from bytes encoded ahead of time, ahead of Express routing:
   * /metrics, /policy, /-/healthy, /-/ready. Returns false to fall through to Express.
   */
  private fastGet(req: IncomingMessage, res: ServerResponse): boolean {
    switch (req.url) {
      case '/metrics': {
        const want = negotiate(req.headers);
        const body = this.metrics.cached()?.ready(want);
        if (!body) return false;
        res.sendDate = false;
        sendScrape(res, want, body);
        return true;
      }
      case '/policy': {
        const body = this.policyBytes;
        if (!body) return false;
        res.sendDate = false;
        sendBytes(res, 200, JSON_TYPE, body, ['Cache-Control', 'no-store']);
        return true;
      }
      case '/-/healthy':
        res.sendDate = false;
        sendBytes(res, 200, TEXT_TYPE, HEALTHY);
        return true;
      case '/-/ready': {
        const why = this.notReady();
        res.sendDate = false;
        sendBytes(res, why ? 503 : 200, TEXT_TYPE, why ? Buffer.from(`${why}\n`) : READY);
        return true;
      }
      default:
        return false;
    }
  }

  /** Stops the loop, the plugins and the listener; open streams are ended. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.started = false;
    this.monitor.stop();
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.streams.endAll();
    for (const p of this.plugins) await p.stop?.();
    const srv = this.server;
    if (srv) {
      await new Promise<void>((resolve) => {
        srv.close(() => resolve());
        srv.closeIdleConnections();
        // Long-lived streams and slow clients get a short grace period, not Node's 300 s request timeout.
        setTimeout(() => srv.closeAllConnections(), 2000).unref();
      });
    }
    await this.reports.idle();
    await this.web?.close();
  }
}

const HEALTHY = Buffer.from('OK\n');
const READY = Buffer.from('Ready\n');
const KEEP_ALIVE = Buffer.from(': keep-alive\n\n');

/** After every route: 404 for what none answered, and errors as JSON naming what was wrong. */
function finalHandlers(app: express.Express, logger: Logger): void {
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'not found' });
  });
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 600 ? err.status : 500;
    if (status >= 500) logger.error({ err }, 'request failed');
    const error =
      status === 413 ? 'request body too large' : err.type === 'entity.parse.failed' ? `malformed JSON: ${err.message}` : err.message;
    res.status(status).json({ error });
  });
}

/** The guide's GET /health/system shape, plus the served policy's directives. */
export function systemShape(r: ServedReport, view: Pick<PolicyView, 'directives'>) {
  return {
    overall_status: r.overall_status,
    safety_policy: r.current_safety_policy,
    trading_allowed: r.trading_should_continue,
    issues: r.detected_issues.length,
    critical_issues: r.detected_issues.filter((i) => i.severity === 'critical').length,
    summary: r.summary,
    directives: view.directives,
  };
}
