// Noise never reaches close-all (issue 22): a real `selfheal serve` process, a heartbeat written by a
// real timer, a restart handler run as a real process. A reading that is implausible (dated ahead,
// torn, a bad date, 2099) is no evidence: for a moment it changes nothing; persistently it ages like a
// stopped heartbeat — degraded, critical, restarted — and escalates only after restarts that ran and
// failed verification. A flapping subsystem holds a floor instead of swinging; rate limits never escalate.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startNoisy, type Mode } from '../helpers/noise';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('e2e: implausible evidence for a moment changes nothing', () => {
  for (const [mode, ms] of [
    ['future', 1000],
    ['torn', 1000],
    ['bad_date', 1000],
    ['year_2099', 1000],
  ] as [Mode, number][]) {
    it(`${mode} for ${ms / 1000}s between valid heartbeats: allow_all throughout`, { timeout: 120_000 }, async () => {
      const p = await startNoisy();
      const from = Date.now();
      p.mode = mode;
      await sleep(ms);
      p.mode = 'valid';
      await sleep(3000);
      assert.deepEqual(p.served(from), ['allow_all']);
      assert.equal(p.restarts, 0, 'nothing was restarted');
      const m = await (await fetch(`${p.url}/metrics`)).text();
      assert.match(
        m,
        new RegExp(
          `selfheal_evidence_invalid_total\\{subsystem="event_executor",reason="${mode === 'year_2099' ? 'future' : mode}"\\} [1-9]`,
        ),
      );
    });
  }
});

describe('e2e: persistently implausible evidence ages like a stopped heartbeat', () => {
  for (const mode of ['future', 'torn', 'bad_date', 'year_2099'] as Mode[]) {
    it(
      `${mode}, persistently, and a restart fixes it: restarted, verified, allow_all again; never an emergency`,
      { timeout: 120_000 },
      async () => {
        const p = await startNoisy();
        const from = Date.now();
        p.mode = mode;
        await p.waitFor('critical → defensive_exit', (x) => x === 'defensive_exit', 30_000);
        await until(() => p.restarts >= 1, 'a restart');
        await p.waitFor('healed: allow_all', (x) => x === 'allow_all', 30_000);
        const served = p.served(from);
        assert.ok(!served.includes('emergency_shutdown'), served.join(' → '));
        const degraded = served.indexOf('no_new_trades');
        assert.ok(degraded >= 0 && degraded < served.indexOf('defensive_exit'), `degraded before critical: ${served.join(' → ')}`);
        const restarts = (await p.history()).filter((r) => r.action === 'restart_subsystem');
        assert.ok(
          restarts.some((r) => r.state === 'succeeded' && /verify: critical → healthy/.test(r.detail ?? '')),
          JSON.stringify(restarts),
        );
      },
    );
  }

  it(
    'torn, persistently, and restarts do not fix it: emergency only after max_consecutive_failures failed verifications',
    { timeout: 120_000 },
    async () => {
      const p = await startNoisy();
      p.restartFixes = false;
      p.mode = 'torn';
      await p.waitFor('emergency_shutdown', (x) => x === 'emergency_shutdown', 60_000);
      const at = Date.now();
      const failed = (await p.history()).filter((r) => r.action === 'restart_subsystem' && r.state === 'failed');
      assert.equal(p.restarts, 3, 'three restarts ran');
      assert.equal(failed.length, 3, 'and three failed verification');
      assert.ok(failed.every((r) => (r.finished_at ?? Infinity) <= at));
      const served = (await (await fetch(`${p.url}/policy`)).json()) as { reasons: string[] };
      assert.match(
        served.reasons[0],
        /^emergency_shutdown latched: .*recovery exhausted: 3 restart_subsystem attempts in a row verified as failed/,
      );
    },
  );
});

describe('e2e: flapping and rate limits never escalate', () => {
  it(
    'a heartbeat that flaps for a minute: restarts succeed, a floor holds, the policy does not swing, never an emergency',
    { timeout: 180_000 },
    async () => {
      // Stable means 20 s healthy without a break: longer than one flap's healthy phase (4 s writing + 2 s to degraded).
      const p = await startNoisy({ config: { flapping: { episodes: 3, window_sec: 120, stable_sec: 20 } } });
      // Each restart brings the executor back for 4 s; then it hangs again (stopped) and goes critical after 4 s.
      let flapping = true;
      p.onRestart = () => {
        setTimeout(() => {
          if (flapping) p.mode = 'stopped';
        }, 4000).unref();
      };
      const from = Date.now();
      p.mode = 'stopped';
      await until(
        async () => /selfheal_subsystem_flapping\{subsystem="event_executor"\} 1/.test(await (await fetch(`${p.url}/metrics`)).text()),
        'flapping detected',
        90_000,
      );
      const detected = Date.now();
      await sleep(Math.max(0, 60_000 - (detected - from)));
      const during = p.served(detected);
      assert.ok(!p.served(from).includes('emergency_shutdown'), p.served(from).join(' → '));
      assert.deepEqual(during, ['defensive_exit'], `no swing once flapping: ${during.join(' → ')}`);
      const last = p.samples.at(-1)!;
      assert.ok(
        last.reasons.some((r) => /event_executor flapping since/.test(r)),
        last.reasons.join(' | '),
      );
      const restarts = (await p.history()).filter((r) => r.action === 'restart_subsystem' && r.state !== 'cancelled');
      assert.ok(restarts.filter((r) => r.state === 'succeeded').length >= 3, 'restarts kept succeeding');
      assert.ok(!restarts.some((r) => r.state === 'failed'));
      // Stable again: the floor lifts after flapping.stable_sec (20 s), then the hold-down.
      flapping = false;
      p.mode = 'valid';
      await p.waitFor('allow_all once stable', (x) => x === 'allow_all', 60_000);
    },
  );

  it(
    'the stubborn fault twice in a row: the second run meets the breaker, waits for approval, never an emergency from a rate limit',
    { timeout: 180_000 },
    async () => {
      const p = await startNoisy({ recovery: { breaker_max_executions: 4, breaker_window_sec: 3600 } });
      p.restartFixes = false;
      p.mode = 'stopped';
      await p.waitFor('first run: emergency after three failed restarts', (x) => x === 'emergency_shutdown', 60_000);
      assert.equal(p.restarts, 3);
      p.mode = 'valid';
      const reset = await fetch(`${p.url}/policy/reset`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer op' },
        body: JSON.stringify({ reason: 'executor repaired' }),
      });
      assert.equal(reset.status, 200);
      await p.waitFor('allow_all', (x) => x === 'allow_all', 30_000);
      const second = Date.now();
      p.mode = 'stopped';
      await until(
        async () => (await p.history()).some((r) => r.state === 'pending_approval' && /circuit open/.test(r.reason)),
        'the breaker',
        60_000,
      );
      await sleep(5000);
      assert.equal(p.restarts, 4, 'one restart in the second run, then the breaker (4 per hour)');
      const served = p.served(second);
      assert.ok(!served.includes('emergency_shutdown'), served.join(' → '));
      assert.equal(await p.policy(), 'defensive_exit', 'still critical: the policy of critical holds');
    },
  );
});

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
