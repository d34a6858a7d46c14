// Noise never reaches close-all (issue 22), part 2: persistently implausible evidence ages like a stopped
// heartbeat (degraded, critical, restarted by a real exec'd handler) and escalates only after restarts that ran
// and failed verification.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startNoisy, until, type Mode } from '../helpers/noise';

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
