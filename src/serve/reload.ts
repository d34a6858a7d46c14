// Reload on SIGHUP and POST /-/reload: read the config and web config files again, validate them,
// and swap in what can change live; on any error the running configuration stays as it was.
import { Gauge } from 'prom-client';
import type { Config } from '../config/types';
import type { ReloadOutcome, Service } from './service';
import { loadWebConfig, type WebConfig } from './web_config';

export type { ReloadOutcome } from './service';

export interface ReloadSources {
  /** Loads and validates the config file again, with the command-line overrides applied. */
  loadConfig: () => Config;
  webConfigFile: string | null;
}

/** Keys that need a restart: the listener, where files live, the journal, the set of subsystems, the recovery engine. */
const RESTART_ONLY: [string, (c: Config) => unknown][] = [
  ['host', (c) => c.host],
  ['port', (c) => c.port],
  ['api.max_connections', (c) => c.api.max_connections],
  ['data_dir', (c) => c.data_dir],
  ['report_path', (c) => c.report_path],
  ['receiver.enabled', (c) => c.receiver.enabled],
  ['recovery', (c) => c.recovery],
  ['auto_restart_enabled', (c) => c.auto_restart_enabled],
  ['auto_pause_on_critical', (c) => c.auto_pause_on_critical],
  ['demo', (c) => c.demo],
  ['subsystems (which are enabled)', (c) => c.subsystems.map((s) => `${s.name}:${s.enabled}`)],
];

/** Top-level keys applied live (each read where it is used, on every cycle or request). */
const LIVE_SCALARS = [
  'check_interval',
  'critical_check_interval',
  'max_consecutive_failures',
  'max_error_rate',
  'error_rate_window',
  'stale_data_threshold_sec',
  'max_cpu_percent',
  'max_memory_percent',
  'check_timeout_sec',
  'log_dir',
  'models_dir',
  'database_path',
] as const;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The first restart-only key that differs, as an error naming it; null when none does. */
export function needsRestart(running: Config, next: Config): string | null {
  for (const [key, get] of RESTART_ONLY) {
    if (!same(get(running), get(next))) return `${key}: changed, which needs a restart (the running configuration is unchanged)`;
  }
  return null;
}

/** Copies the live part of `next` into the running config object (everything holds a reference to it). */
export function applyLive(running: Config, next: Config): string[] {
  const changed: string[] = [];
  for (const k of LIVE_SCALARS) {
    if (running[k] === next[k]) continue;
    changed.push(k);
    (running as unknown as Record<string, unknown>)[k] = next[k];
  }
  if (running.api.token !== next.api.token) changed.push('api.token');
  running.api.token = next.api.token;
  // Read on every subscription: a lower cap refuses new subscribers, never drops open ones.
  for (const k of ['max_streams', 'max_streams_per_client'] as const) {
    if (running.api[k] !== next.api[k]) changed.push(`api.${k}`);
    running.api[k] = next.api[k];
  }
  for (const k of ['bearer_token', 'basic_auth', 'max_body_bytes'] as const) {
    if (!same(running.receiver[k], next.receiver[k])) changed.push(`receiver.${k}`);
  }
  Object.assign(running.receiver, {
    bearer_token: next.receiver.bearer_token,
    basic_auth: next.receiver.basic_auth,
    max_body_bytes: next.receiver.max_body_bytes,
  });
  if (!same(running.policy, next.policy)) changed.push('policy');
  running.policy = next.policy;
  // The monitor holds these very objects: updating them in place changes its thresholds and paths.
  const byName = new Map(next.subsystems.map((s) => [s.name, s]));
  for (const sub of running.subsystems) {
    const n = byName.get(sub.name);
    if (!n) continue; // not reached: needsRestart refuses a change to the set of subsystems
    if (!same(sub, n)) changed.push(`subsystems.${sub.name}`);
    Object.assign(sub, n);
  }
  return changed;
}

/** Serializes reloads, applies them to the service and keeps the two metrics Prometheus has for this. */
export class Reloader {
  private readonly successful: Gauge;
  private readonly successAt: Gauge;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly svc: Service,
    private readonly sources: ReloadSources,
  ) {
    const registers = [svc.metrics.registry];
    this.successful = new Gauge({
      name: 'selfheal_config_last_reload_successful',
      help: 'Whether the last configuration reload attempt was successful',
      registers,
    });
    this.successAt = new Gauge({
      name: 'selfheal_config_last_reload_success_timestamp_seconds',
      help: 'Timestamp of the last successful configuration reload (or of the start), Unix seconds',
      registers,
    });
    this.successful.set(1);
    this.successAt.set(svc.clock() / 1000);
    svc.reloader = () => this.reload();
  }

  /** One reload at a time; concurrent requests queue. */
  reload(): Promise<ReloadOutcome> {
    const run = this.chain.then(() => this.attempt());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private attempt(): ReloadOutcome {
    const svc = this.svc;
    const at = new Date(svc.clock()).toISOString();
    let next: Config;
    let web: WebConfig | null = null;
    try {
      next = this.sources.loadConfig();
      if (this.sources.webConfigFile) {
        web = loadWebConfig(this.sources.webConfigFile);
        if ((web.tls === null) !== ((svc.web?.config.tls ?? null) === null)) {
          throw new Error(
            `web config file ${this.sources.webConfigFile}: tls_server_config: turning TLS on or off needs a restart (the running configuration is unchanged)`,
          );
        }
      }
      const restart = needsRestart(svc.config, next);
      if (restart) throw new Error(restart);
    } catch (err) {
      const error = (err as Error).message;
      this.successful.set(0);
      svc.metrics.invalidate();
      svc.logger.error({ err: error }, 'Error reloading config; keeping the running configuration');
      return { ok: false, error, changed: [], at };
    }
    const changed = applyLive(svc.config, next);
    svc.monitor.policy.setHoldDown(svc.config.policy.hold_down_sec * 1000);
    if (web) {
      svc.swapWeb(web);
      changed.push('web_config');
    }
    this.successful.set(1);
    this.successAt.set(svc.clock() / 1000);
    svc.metrics.invalidate();
    svc.logger.info({ changed }, 'Completed loading of configuration file');
    // New thresholds take effect at once, not at the next scheduled check.
    void svc.monitor.forceCheck().catch((err) => svc.logger.error({ err }, 'check cycle failed'));
    return { ok: true, changed, at };
  }
}
