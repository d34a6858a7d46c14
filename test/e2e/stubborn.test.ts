// Rate limits never escalate (issue 22): the demo's stubborn fault twice in a row; the second run meets the
// breaker and waits for approval, never an emergency from a rate limit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sleep, startNoisy, until } from '../helpers/noise';

describe('e2e: rate limits never escalate', () => {
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
