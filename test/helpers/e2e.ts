// The end-to-end stack: a fixture platform, `selfheal serve` (in-process), real Prometheus loading the
// project's own rules pack, and one or more real Alertmanagers routing to the receiver with its bearer credential.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { stringify } from 'yaml';
import type { Config } from '../../src/config/types';
import { parseConfig } from '../../src/config/load';
import { simulate } from '../../src/demo/simulator';
import { alertmanagerConfig } from '../../src/deploy/alertmanager';
import { fixedResources } from '../../src/detect/resources';
import { createReceiver, type Receiver } from '../../src/serve/receiver';
import type { JournalRecord } from '../../src/execute/journal';
import { silentLogger } from '../../src/log/logger';
import { Service } from '../../src/serve/service';
import { configIn } from './config';
import { tempDir } from './fs';
import { until } from './process';
import { fastRules, startAlertmanager, startPrometheus, type Alertmanager, type Prometheus } from './stack';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export const WEBHOOK_TOKEN = 'e2e-webhook-token';

/** Writes every subsystem's heartbeat; a faulted one stops; a restart flag "restarts" it (unless told not to). */
export class FixturePlatform {
  readonly faults = new Set<string>();
  readonly ignoreRestarts = new Set<string>();
  readonly restarts: { subsystem: string; at: number }[] = [];
  /** How long a restart takes before the subsystem is back (a real supervisor is not instant). */
  restartDelayMs = 0;
  private timer: NodeJS.Timeout | null = null;
  constructor(private readonly config: Config) {}
  tick(): void {
    const now = Date.now();
    for (const sub of this.config.subsystems) {
      const flag = join(this.config.data_dir, `${sub.name}_restart_requested.flag`);
      if (existsSync(flag)) {
        rmSync(flag, { force: true });
        this.restarts.push({ subsystem: sub.name, at: now });
        if (!this.ignoreRestarts.has(sub.name)) {
          const back = () => this.faults.delete(sub.name);
          if (this.restartDelayMs > 0) setTimeout(back, this.restartDelayMs).unref();
          else back();
        }
      }
      simulate(sub, this.faults.has(sub.name), now);
    }
  }
  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), 200);
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

export interface Stack {
  config: Config;
  svc: Service;
  receiver: Receiver;
  url: string;
  prom: Prometheus;
  ams: Alertmanager[];
  platform: FixturePlatform;
  history(): JournalRecord[];
  policy(): Promise<{ policy: string; new_positions_allowed: boolean; reasons: string[] }>;
}

export const E2E_RECOVERY = {
  settle_sec: 2,
  cooldown_sec: 0,
  backoff_initial_sec: 1,
  backoff_max_sec: 4,
  breaker_max_executions: 3,
  breaker_window_sec: 120,
};

/** Short thresholds and intervals so a scenario takes seconds. */
export function e2eConfig(root: string, extra: Record<string, unknown> = {}): Config {
  return configIn(root, {
    check_interval: 1,
    critical_check_interval: 0.5,
    stale_data_threshold_sec: 2,
    max_cpu_percent: 100,
    max_memory_percent: 100,
    policy: { hold_down_sec: 1, valid_for_sec: 5 },
    receiver: { bearer_token: WEBHOOK_TOKEN },
    api: { token: 'e2e-operator-token' },
    // These scenarios drive recovery through Prometheus and Alertmanager (teams that gate every
    // remediation there); test/e2e/local.test.ts runs the local path beside an HA pair.
    recovery: { local: false, ...E2E_RECOVERY },
    subsystems: slowSubsystems({
      data_feed: { critical_after_sec: 4 },
      event_executor: { degraded_after_sec: 2, critical_after_sec: 4 },
    }),
    ...extra,
  });
}

/** A local sink standing in for the pager and the dead man's switch. */
async function sink(): Promise<string> {
  const srv = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  after(() => new Promise((r) => srv.close(r)));
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}/`;
}

export async function startStack(opts: { alertmanagers?: number; config?: (root: string) => Config } = {}): Promise<Stack> {
  const root = tempDir('selfheal-e2e-');
  const config = (opts.config ?? e2eConfig)(root);
  const platform = new FixturePlatform(config);
  platform.start();
  after(() => platform.stop());

  // The loop, not this host's load: a busy CI machine's CPU would fire SelfHealCPUHigh and add a floor of its own.
  const svc = new Service(config, { resources: fixedResources(), logger: silentLogger() });
  const receiver = createReceiver(svc);
  svc.use(receiver);
  const addr = await svc.start('127.0.0.1', 0);
  after(() => svc.stop());
  const url = `http://127.0.0.1:${addr.port}`;

  const tokenFile = join(root, 'webhook_token');
  writeFileSync(tokenFile, WEBHOOK_TOKEN + '\n');
  const sinkUrl = await sink();
  const amConfig = stringify(
    alertmanagerConfig({
      selfhealUrl: url,
      tokenFile,
      pagerUrl: sinkUrl,
      deadmansSwitchUrl: sinkUrl,
      groupWait: '1s',
      groupInterval: '1s',
      repeatInterval: '1h',
    }),
  );
  const ams: Alertmanager[] = [];
  for (let i = 0; i < (opts.alertmanagers ?? 1); i++) {
    ams.push(await startAlertmanager({ config: amConfig, peers: ams.map((a) => a.clusterPort) }));
  }
  const prom = await startPrometheus({
    targets: [`127.0.0.1:${addr.port}`],
    rules: fastRules('1s'),
    alertmanagers: ams.map((a) => `127.0.0.1:${a.port}`),
  });
  await until(
    'selfheal scraped and healthy',
    async () => {
      const r = await prom.query('selfheal_overall_status{status="healthy"} == 1');
      return r.result.length === 1 && svc.policy().policy === 'allow_all';
    },
    90_000,
  );
  return {
    config,
    svc,
    receiver,
    url,
    prom,
    ams,
    platform,
    history: () => receiver.store.history(1000),
    policy: async () =>
      (await (await fetch(`${url}/policy`)).json()) as { policy: string; new_positions_allowed: boolean; reasons: string[] },
  };
}

/** Raw samples of a series over the last `range`, oldest first: [unix seconds, value]. */
export async function samples(prom: Prometheus, selector: string, range = '5m'): Promise<[number, string][]> {
  const r = await prom.query(`${selector}[${range}]`);
  return (r.result[0]?.values ?? []) as [number, string][];
}

/**
 * Every built-in subsystem with an age threshold made slow to go stale (degraded at 10 s, critical at 60 s),
 * so only the subsystems a scenario names (the overrides) can change within it.
 */
export function slowSubsystems(overrides: Record<string, Record<string, number>> = {}): Record<string, Record<string, number>> {
  const slow = { degraded_after_sec: 10, critical_after_sec: 60 };
  const aged = parseConfig({}, tmpdir())
    .subsystems.filter((sub) => 'degraded_after_sec' in sub.check)
    .map((sub) => sub.name);
  return { ...Object.fromEntries(aged.map((name) => [name, slow])), ...overrides };
}
