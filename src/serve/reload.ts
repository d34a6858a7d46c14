// Reload on SIGHUP and POST /-/reload: read the config and web config files again, validate them,
// and apply each changed key by its declared reload class (config/schema.ts): a live key is assigned
// into the running config in place; a restart-only one refuses the whole reload, naming it. On any
// error the running configuration stays as it was.
import { Gauge } from 'prom-client';
import { applyChange, configChanges, type ConfigChange } from '../config/changes';
import type { Config } from '../config/types';
import type { ReloadOutcome, Service } from './service';
import { loadWebConfig, type WebConfig } from '../http/web_config';

export interface ReloadSources {
  /** Loads and validates the config file again, with the command-line overrides applied. */
  loadConfig: () => Config;
  webConfigFile: string | null;
}

/**
 * The reload's verdict from the declared classes: the restart-only keys that changed (refused, named),
 * else the live ones, applied in place into the running config (everything holds that object).
 */
function reloadChanges(running: Config, next: Config): { restart: string[]; live: ConfigChange[] } {
  const changes = configChanges(running, next);
  return { restart: changes.filter((c) => c.reload === 'restart').map((c) => c.key), live: changes.filter((c) => c.reload === 'live') };
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
    let verdict: ReturnType<typeof reloadChanges> = { restart: [], live: [] };
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
      verdict = reloadChanges(svc.config, next);
      if (verdict.restart.length)
        throw new Error(`${verdict.restart.join(', ')}: changed, which needs a restart (the running configuration is unchanged)`);
    } catch (err) {
      const error = (err as Error).message;
      this.successful.set(0);
      svc.metrics.invalidate();
      svc.logger.error({ err: error }, 'Error reloading config; keeping the running configuration');
      return { ok: false, error, changed: [], at };
    }
    for (const c of verdict.live) applyChange(svc.config, next, c.path);
    const changed = verdict.live.map((c) => c.key);
    svc.configChanged(changed);
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
