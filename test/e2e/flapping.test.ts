// A flapping subsystem (issue 22): restarts keep succeeding but keep being needed; a floor holds instead of the
// policy swinging with each flap, SelfHealSubsystemFlapping's series is present, and it never escalates by itself.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sleep, startNoisy, until } from '../helpers/noise';

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
      // Every view served since it was detected names the flap (the floor holds the level, alone or with the critical status).
      const since = p.samples.filter((x) => x.at >= detected + 500);
      const unnamed = since.filter((x) => !x.reasons.some((r) => /event_executor flapping since/.test(r)));
      assert.deepEqual(
        unnamed.map((x) => x.reasons.join(' | ')),
        [],
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
});
