// The README's demo, run as a user would, twice: `selfheal serve` on the bundled demo config (its
// built-in simulator), the README's faults one after another, each healed before the next — with no
// Prometheus and no Alertmanager, the local path restarts the executor, verifies it, and the policy
// returns to allow_all; with `--stubborn` only the third verified failure latches emergency_shutdown;
// data_feed pauses trading and ai_model disables the module. Then the server stops, `selfheal demo
// reset` takes the demo back to its first start (refused while it runs), and the second run must give
// the same timeline. Prints the timelines the README states.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../helpers/fs';
import { BIN, freePort, ready, until } from '../helpers/process';

const DEMO = resolve(__dirname, '../../../demo/selfheal.yml');
/** Two runs of the same step may differ by a check interval and a loaded machine's scheduling. */
const TOLERANCE_MS = 3_000;

interface Rec {
  action: string | null;
  subsystem: string | null;
  state: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

/** What one step of the README's demo did: the policies served and the actions taken, in ms after its command. */
interface Step {
  name: string;
  policies: { policy: string; at: number }[];
  actions: { action: string; subsystem: string; state: string; started: number | null; finished: number | null }[];
}

function demoConfig(): string {
  const dir = tempDir('selfheal-demo-');
  const config = join(dir, 'selfheal.yml');
  copyFileSync(DEMO, config);
  // The loop, not this host's load: a busy CI machine's CPU must not add a resource issue of its own.
  appendFileSync(config, '\nmax_cpu_percent: 100\nmax_memory_percent: 100\n');
  return config;
}

const selfheal = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });

async function startDemo(config: string) {
  const port = await freePort();
  const proc: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--config', config, '--port', String(port), '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  after(() => proc.kill('SIGKILL'));
  await ready(port);
  const url = `http://127.0.0.1:${port}`;
  const get = async <T>(path: string) => (await (await fetch(`${url}${path}`)).json()) as T;
  const demo = (...args: string[]) => {
    const r = selfheal('demo', ...args, '--config', config);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  /** Every view served while the demo ran whose reasons were empty (there must be none: every policy says why). */
  const unexplained: string[] = [];
  const policy = async () => {
    const v = await get<{ policy: string; reasons: string[] }>('/policy');
    if (!v.reasons?.length) unexplained.push(v.policy);
    return v.policy;
  };
  const history = async () => (await get<Rec[]>('/recovery/history?limit=500')).reverse();
  const stop = async () => {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };
  return { url, proc, demo, policy, history, get, stop, unexplained };
}

type Demo = Awaited<ReturnType<typeof startDemo>>;

/** Runs one step: its command, then waits for `done`; records the policies (polled every 100 ms) and the actions since. */
async function step(d: Demo, name: string, command: () => void, done: (t0: number) => Promise<boolean>, timeoutMs = 90_000): Promise<Step> {
  const t0 = Date.now();
  const policies: Step['policies'] = [];
  let on = true;
  const poller = (async () => {
    while (on) {
      const p = await d.policy().catch(() => null);
      if (p && policies.at(-1)?.policy !== p) policies.push({ policy: p, at: Date.now() - t0 });
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  command();
  await until(`${name}: done`, () => done(t0), timeoutMs, 100);
  on = false;
  await poller;
  const last = await d.policy();
  if (policies.at(-1)?.policy !== last) policies.push({ policy: last, at: Date.now() - t0 });
  const rel = (ms: number | null) => (ms === null ? null : ms - t0);
  const actions = (await d.history())
    .filter((r) => r.created_at >= t0 && r.action !== null && r.subsystem !== null)
    .map((r) => ({ action: r.action!, subsystem: r.subsystem!, state: r.state, started: rel(r.started_at), finished: rel(r.finished_at) }));
  const s = (ms: number | null) => (ms === null ? '-' : (ms / 1000).toFixed(1));
  console.log(
    `${name}: ${policies.map((p) => `${p.policy} ${s(p.at)}`).join(', ')}; ` +
      `actions: ${actions.map((a) => `${a.action} ${a.state} ${s(a.started)}→${s(a.finished)}`).join(', ') || 'none'}`,
  );
  return { name, policies, actions };
}

/** The README's quick-start sequence, each fault healed before the next. */
async function readmeDemo(d: Demo): Promise<Step[]> {
  await until('the demo steps down to allow_all', async () => (await d.policy()) === 'allow_all', 60_000, 200);
  const allowAll = async () => (await d.policy()) === 'allow_all';
  /** This step's actions only: what an earlier run or step left must not satisfy a wait. */
  const since = async (t0: number) => (await d.history()).filter((r) => r.created_at >= t0);
  const restarts = async (t0: number) => (await since(t0)).filter((r) => r.action === 'restart_subsystem' && r.started_at !== null);
  const steps: Step[] = [];

  const healed = await step(
    d,
    'fault event_executor',
    () => d.demo('fault', 'event_executor'),
    async (t0) => (await restarts(t0)).some((r) => r.state === 'succeeded') && (await allowAll()),
  );
  steps.push(healed);
  const critical = healed.policies.find((p) => p.policy === 'defensive_exit');
  assert.ok(critical, 'defensive_exit while critical');
  assert.deepEqual(
    healed.actions.map((a) => `${a.action} ${a.state}`),
    ['restart_subsystem succeeded'],
  );
  assert.ok(healed.actions[0].started! <= critical.at + 2_000, 'restart executed within a critical_check_interval of turning critical');
  assert.ok(!healed.policies.some((p) => p.policy === 'emergency_shutdown'), 'a healed restart never reaches emergency_shutdown');

  const stubborn = await step(
    d,
    'fault event_executor --stubborn',
    () => d.demo('fault', 'event_executor', '--stubborn'),
    async () => (await d.policy()) === 'emergency_shutdown',
  );
  steps.push(stubborn);
  const failed = stubborn.actions.filter((a) => a.action === 'restart_subsystem' && a.started !== null);
  assert.equal(failed.length, 3, 'three restarts before the emergency');
  assert.ok(failed.every((r) => r.state === 'failed'));
  const emergencyAt = stubborn.policies.find((p) => p.policy === 'emergency_shutdown')!.at;
  assert.ok(emergencyAt >= failed[2].finished! - 200, 'emergency only after the third verified failure');

  steps.push(
    await step(
      d,
      'heal',
      () => d.demo('heal'),
      async () => (await d.get<{ overall_status: string }>('/report')).overall_status === 'healthy',
    ),
  );
  assert.equal(await d.policy(), 'emergency_shutdown', 'latched until an operator resets it');
  const reset = () => {
    const r = selfheal('policy', 'reset', '--reason', 'executor repaired', '--url', d.url);
    assert.equal(r.status, 0, r.stderr);
  };
  steps.push(await step(d, 'policy reset', reset, allowAll));

  const pauses = async (t0: number) => (await since(t0)).some((r) => r.subsystem === 'data_feed' && r.action === 'pause_trading');
  steps.push(
    await step(
      d,
      'fault data_feed',
      () => d.demo('fault', 'data_feed'),
      async (t0) => (await pauses(t0)) && (await d.policy()) === 'defensive_exit',
    ),
  );
  const feed = steps.at(-1)!.policies.map((p) => p.policy);
  assert.deepEqual(feed.slice(feed.indexOf('no_new_trades')), ['no_new_trades', 'defensive_exit'], 'data_feed: degraded, then critical');
  steps.push(await step(d, 'heal data_feed', () => d.demo('heal', 'data_feed'), allowAll));

  const disabled = async (t0: number) => (await since(t0)).some((r) => r.subsystem === 'ai_model' && r.action === 'disable_module');
  steps.push(
    await step(
      d,
      'fault ai_model',
      () => d.demo('fault', 'ai_model'),
      async (t0) => (await disabled(t0)) && (await d.policy()) === 'no_new_trades',
    ),
  );
  assert.deepEqual(
    steps.at(-1)!.policies.map((p) => p.policy),
    ['allow_all', 'no_new_trades'],
    'ai_model alone (data_feed healed): no_new_trades, never defensive_exit',
  );
  steps.push(await step(d, 'heal ai_model', () => d.demo('heal', 'ai_model'), allowAll));
  assert.match(d.demo('status'), /^faulted: none$/m);
  assert.deepEqual(d.unexplained, [], 'every policy served during the demo names its reasons');
  return steps;
}

/** The same timeline: the same policies and actions in the same order, each within the tolerance of the first run's. */
function assertSameTimeline(a: Step[], b: Step[]): void {
  assert.deepEqual(
    b.map((s) => s.name),
    a.map((s) => s.name),
  );
  a.forEach((sa, i) => {
    const sb = b[i];
    const what = (s: Step) => ({
      policies: s.policies.map((p) => p.policy),
      actions: s.actions.map((x) => `${x.action} ${x.subsystem} ${x.state}`),
    });
    assert.deepEqual(what(sb), what(sa), `${sa.name}: the same policies and actions`);
    const times = (s: Step) => [...s.policies.map((p) => p.at), ...s.actions.flatMap((x) => [x.started ?? 0, x.finished ?? 0])];
    const [ta, tb] = [times(sa), times(sb)];
    ta.forEach((t, j) => assert.ok(Math.abs(t - tb[j]) <= TOLERANCE_MS, `${sa.name}: event ${j} at ${t} ms, then at ${tb[j]} ms`));
  });
}

describe('e2e: the README demo heals before it halts, and replays after demo reset', () => {
  const config = demoConfig();
  const runs: Step[][] = [];

  it('run 1: the README sequence', { timeout: 300_000 }, async () => {
    const d = await startDemo(config);
    runs.push(await readmeDemo(d));

    const refused = selfheal('demo', 'reset', '--config', config);
    assert.equal(refused.status, 1, 'reset is refused while the demo runs');
    assert.match(refused.stderr, new RegExp(`the demo is running on these files: pid ${d.proc.pid} .*Stop it first`, 's'));
    assert.ok(existsSync(join(config, '..', 'run', 'data', 'selfheal_journal.db')), 'a refused reset removes nothing');
    await d.stop();
  });

  it('demo reset, then run 2: the same timeline', { timeout: 300_000 }, async () => {
    assert.equal(runs.length, 1, 'run 1 completed');
    const r = selfheal('demo', 'reset', '--config', config);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /reset: removed .*run\/data/);
    assert.ok(!existsSync(join(config, '..', 'run')), 'nothing of run 1 is left, as before the first start');
    const d = await startDemo(config);
    runs.push(await readmeDemo(d));
    await d.stop();
    assertSameTimeline(runs[0], runs[1]);
  });
});
