// A real `selfheal serve` process watching a platform the test controls: every subsystem stays alive
// (FixturePlatform), and event_executor's heartbeat is written by a real timer in a chosen mode (valid,
// stopped, torn, dated ahead, a bad date, 2099). Its restart handler is a real exec'd script; a restart
// may fix the writer (back to valid) or not. /policy is sampled throughout, so a test can say what was
// served at every moment.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../src/config/load';
import { FixturePlatform, slowSubsystems } from './e2e';
import { tempDir } from './fs';
import { freePort, processConfig, ready, serve, until as untilProcess } from './process';

export type Mode = 'valid' | 'stopped' | 'torn' | 'future' | 'bad_date' | 'year_2099';

/** The executor's state file in each mode (null: nothing is written). */
function heartbeat(mode: Mode, now: number): string | null {
  switch (mode) {
    case 'valid':
      return JSON.stringify({ last_cycle_timestamp: new Date(now).toISOString() });
    case 'stopped':
      return null;
    case 'torn':
      return '{"last_cycle_timest';
    case 'future':
      return JSON.stringify({ last_cycle_timestamp: new Date(now + 45_000).toISOString() });
    case 'bad_date':
      return JSON.stringify({ last_cycle_timestamp: '29/11/2026 12:00' });
    case 'year_2099':
      return JSON.stringify({ last_cycle_timestamp: '2099-01-01T00:00:00Z' });
  }
}

export interface Sample {
  at: number;
  policy: string;
  reasons: string[];
}

export interface NoiseOptions {
  /** Extra keys merged into the config (recovery keys merge into its recovery section). */
  config?: Record<string, unknown>;
  recovery?: Record<string, unknown>;
}

/** The scenario's handle: the writer's mode, the restarts the handler ran, the policy over time. */
export class NoisyPlatform {
  mode: Mode = 'valid';
  /** A restart sets the writer back to valid (the executor was restarted and works). */
  restartFixes = true;
  /** Called when the handler restarts the executor (after restartFixes is applied). */
  onRestart: () => void = () => {};
  readonly samples: Sample[] = [];
  restarts = 0;
  url = '';
  private timers: NodeJS.Timeout[] = [];
  private restartsSeen = 0;

  constructor(
    readonly root: string,
    readonly cfgPath: string,
    private readonly beat: string,
    private readonly restartLog: string,
  ) {}

  private write(): void {
    const text = heartbeat(this.mode, Date.now());
    if (text !== null) writeFileSync(this.beat, text);
    const lines = existsSync(this.restartLog) ? readFileSync(this.restartLog, 'utf8').split('\n').filter(Boolean).length : 0;
    for (; this.restartsSeen < lines; this.restartsSeen++) {
      this.restarts++;
      if (this.restartFixes) this.mode = 'valid';
      this.onRestart();
    }
  }

  async start(port: number): Promise<void> {
    this.write();
    this.timers.push(setInterval(() => this.write(), 200));
    this.url = `http://127.0.0.1:${port}`;
    await ready(port);
    this.timers.push(
      setInterval(() => {
        void fetch(`${this.url}/policy`)
          .then((r) => r.json() as Promise<{ policy: string; reasons: string[] }>)
          .then((p) => this.samples.push({ at: Date.now(), policy: p.policy, reasons: p.reasons }))
          .catch(() => undefined);
      }, 100),
    );
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** The policies served since `from` (ms), in order, without repeats. */
  served(from = 0): string[] {
    const out: string[] = [];
    for (const s of this.samples) if (s.at >= from && out[out.length - 1] !== s.policy) out.push(s.policy);
    return out;
  }

  async policy(): Promise<string> {
    return ((await (await fetch(`${this.url}/policy`)).json()) as { policy: string }).policy;
  }

  async history(): Promise<{ action: string | null; state: string; reason: string; detail: string | null; finished_at: number | null }[]> {
    const res = await fetch(`${this.url}/recovery/history?limit=1000`, { headers: { authorization: 'Bearer op' } });
    return (await res.json()) as {
      action: string | null;
      state: string;
      reason: string;
      detail: string | null;
      finished_at: number | null;
    }[];
  }

  async waitFor(what: string, check: (policy: string) => boolean, timeoutMs = 60_000): Promise<void> {
    await untilProcess(what, async () => check(await this.policy()), timeoutMs, 50);
  }
}

/**
 * Starts `selfheal serve` in its own process on the platform. Short intervals: event_executor is
 * degraded after 2 s and critical after 4 s without valid evidence; restarts verify 1 s after they run.
 */
export async function startNoisy(o: NoiseOptions = {}): Promise<NoisyPlatform> {
  const root = tempDir('selfheal-noise-');
  const port = await freePort();
  const restartLog = join(root, 'restarts.log');
  const script = join(root, 'restart-executor.sh');
  writeFileSync(script, `#!/bin/sh\necho "$SELFHEAL_ACTION $SELFHEAL_SUBSYSTEM" >> '${restartLog}'\n`);
  const cfgPath = join(root, 'selfheal.yml');
  mkdirSync(join(root, 'data'), { recursive: true });
  writeFileSync(
    cfgPath,
    stringify({
      ...processConfig(port),
      stale_data_threshold_sec: 30,
      api: { token: 'op' },
      receiver: { bearer_token: 'hook-token' },
      flapping: { episodes: 3, window_sec: 120, stable_sec: 5 },
      ...o.config,
      recovery: {
        settle_sec: 1,
        cooldown_sec: 0,
        backoff_initial_sec: 0.5,
        backoff_max_sec: 2,
        handlers: [{ action: 'restart_subsystem', subsystem: 'event_executor', exec: ['/bin/sh', script], timeout_sec: 10 }],
        ...o.recovery,
      },
      subsystems: slowSubsystems({ event_executor: { degraded_after_sec: 2, critical_after_sec: 4 } }),
    }),
  );
  const config = loadConfigFile(cfgPath);
  const fixture = new FixturePlatform(config);
  fixture.faults.add('event_executor'); // its heartbeat is ours to write
  fixture.ignoreRestarts.add('event_executor');
  fixture.start();
  const p = new NoisyPlatform(root, cfgPath, join(config.data_dir, 'event_executor_state.json'), restartLog);
  const child = serve(cfgPath);
  after(() => {
    p.stop();
    fixture.stop();
    child.kill('SIGKILL');
  });
  await p.start(port);
  await p.waitFor('allow_all after the start-up hold-down', (x) => x === 'allow_all');
  return p;
}

/** Pauses the test for `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 50 ms until it holds, or fails naming `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
