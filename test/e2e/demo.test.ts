// The README's demo, run as a user would: `selfheal serve` on the bundled demo config (its built-in
// simulator), then `selfheal demo fault event_executor` — with no Prometheus and no Alertmanager, the
// local path restarts the executor, verifies it, and the policy returns to allow_all; with
// `--stubborn` the restarts do not help, and only the third verified failure latches emergency_shutdown.
// Prints the timeline the README states.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../helpers/fs';
import { BIN, freePort, ready, until } from '../helpers/process';

const DEMO = resolve(__dirname, '../../../demo/selfheal.yml');

interface Rec {
  action: string | null;
  subsystem: string | null;
  state: string;
  started_at: number | null;
  finished_at: number | null;
  detail: string | null;
}

async function startDemo() {
  const dir = tempDir('selfheal-demo-');
  const config = join(dir, 'selfheal.yml');
  copyFileSync(DEMO, config);
  // The loop, not this host's load: a busy CI machine's CPU must not add a resource issue of its own.
  appendFileSync(config, '\nmax_cpu_percent: 100\nmax_memory_percent: 100\n');
  const port = await freePort();
  const proc = spawn(process.execPath, [BIN, 'serve', '--config', config, '--port', String(port), '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  after(() => proc.kill('SIGKILL'));
  await ready(port);
  const url = `http://127.0.0.1:${port}`;
  const demo = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, 'demo', ...args, '--config', config], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const policy = async () => ((await (await fetch(`${url}/policy`)).json()) as { policy: string; reasons: string[] }).policy;
  const restarts = async () =>
    ((await (await fetch(`${url}/recovery/history?limit=200`)).json()) as Rec[])
      .filter((r) => r.action === 'restart_subsystem' && r.subsystem === 'event_executor')
      .reverse();
  /** Policies seen, polled every 100 ms, with the time since `t0`. */
  const watch = (t0: number) => {
    const seen: { policy: string; at: number }[] = [];
    let on = true;
    void (async () => {
      while (on) {
        const p = await policy().catch(() => null);
        if (p && seen.at(-1)?.policy !== p) seen.push({ policy: p, at: Date.now() - t0 });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    /** Stops watching; `last` is the policy the caller just saw, recorded now if the poller has not yet. */
    const stop = (last: string) => {
      on = false;
      if (seen.at(-1)?.policy !== last) seen.push({ policy: last, at: Date.now() - t0 });
    };
    return { seen, stop };
  };
  return { url, demo, policy, restarts, watch };
}

describe('e2e: the demo heals before it halts (README timeline)', () => {
  it(
    'fault event_executor → restarted at once → verified → allow_all; --stubborn → emergency only after 3 verified failures',
    { timeout: 170_000 },
    async () => {
      const d = await startDemo();
      await until('the demo steps down to allow_all', async () => (await d.policy()) === 'allow_all', 60_000, 200);

      const t0 = Date.now();
      const w = d.watch(t0);
      d.demo('fault', 'event_executor');
      await until('the restart is verified', async () => (await d.restarts()).some((r) => r.state === 'succeeded'), 60_000, 100);
      await until('allow_all again after the hold-down', async () => (await d.policy()) === 'allow_all', 60_000, 100);
      w.stop('allow_all');
      const [restart] = await d.restarts();
      const critical = w.seen.find((s) => s.policy === 'defensive_exit');
      console.log(
        `heal timeline (s after fault): ${w.seen.map((s) => `${s.policy} ${(s.at / 1000).toFixed(1)}`).join(', ')}; restart executed ${((restart.started_at! - t0) / 1000).toFixed(1)}, verified ${((restart.finished_at! - t0) / 1000).toFixed(1)}`,
      );
      assert.ok(critical, 'defensive_exit while critical');
      assert.ok(restart.started_at! - t0 <= critical.at + 2_000, 'restart executed within a critical_check_interval of turning critical');
      assert.ok(!w.seen.some((s) => s.policy === 'emergency_shutdown'), 'a healed restart never reaches emergency_shutdown');
      assert.equal((await d.restarts()).filter((r) => r.started_at !== null).length, 1);

      const t1 = Date.now();
      const w2 = d.watch(t1);
      d.demo('fault', 'event_executor', '--stubborn');
      await until('emergency_shutdown', async () => (await d.policy()) === 'emergency_shutdown', 90_000, 100);
      w2.stop('emergency_shutdown');
      const failed = (await d.restarts()).filter((r) => r.started_at !== null && r.started_at >= t1);
      console.log(
        `stubborn timeline (s after fault): ${w2.seen.map((s) => `${s.policy} ${(s.at / 1000).toFixed(1)}`).join(', ')}; restarts at ${failed.map((r) => ((r.started_at! - t1) / 1000).toFixed(1)).join(', ')}`,
      );
      assert.equal(failed.length, 3);
      assert.ok(failed.every((r) => r.state === 'failed'));
      const emergencyAt = w2.seen.find((s) => s.policy === 'emergency_shutdown')!.at + t1;
      assert.ok(emergencyAt >= failed[2].finished_at! - 200, 'emergency only after the third verified failure');

      d.demo('heal');
      await until(
        'healthy again, still latched',
        async () => ((await (await fetch(`${d.url}/report`)).json()) as { overall_status: string }).overall_status === 'healthy',
        30_000,
        200,
      );
      assert.equal(await d.policy(), 'emergency_shutdown', 'latched until an operator resets it');
      const reset = await fetch(`${d.url}/policy/reset`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'executor repaired' }),
      });
      assert.equal(reset.status, 200);
      assert.notEqual(await d.policy(), 'emergency_shutdown');
    },
  );
});
