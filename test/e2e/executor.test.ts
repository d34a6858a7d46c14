// Scenario 2: the event executor stops cycling → restart_subsystem writes its flag → the platform
// restarts it → verification records success. Variant: it does not come back → retries with backoff,
// then the circuit breaker, and the recovery-failure alert fires in Prometheus.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { until } from '../helpers/process';
import { startStack } from '../helpers/e2e';

describe('e2e: event executor', () => {
  it('a stuck executor is restarted through its flag file and verified', { timeout: 170_000 }, async () => {
    const s = await startStack();
    const restarts = () => s.history().filter((r) => r.action === 'restart_subsystem' && r.subsystem === 'event_executor');
    s.platform.faults.add('event_executor');
    await until('restart verified', async () => restarts().some((r) => r.state === 'succeeded'), 90_000);
    assert.ok(
      s.platform.restarts.some((r) => r.subsystem === 'event_executor'),
      'the platform saw the flag',
    );
    const r = restarts().find((x) => x.state === 'succeeded')!;
    assert.match(r.detail ?? '', /wrote event_executor_restart_requested\.flag; verify: critical → healthy/);
    assert.equal(restarts().filter((x) => x.started_at !== null).length, 1, 'one restart was enough');
  });

  it('an executor that does not come back: backoff, then the breaker, and the failure alert fires', { timeout: 170_000 }, async () => {
    const s = await startStack();
    s.platform.ignoreRestarts.add('event_executor');
    const restarts = () =>
      s
        .history()
        .filter((r) => r.action === 'restart_subsystem' && r.subsystem === 'event_executor')
        .reverse();
    s.platform.faults.add('event_executor');
    await until(
      'the breaker holds the 4th attempt for approval',
      async () => restarts().some((r) => r.state === 'pending_approval'),
      120_000,
    );
    const attempts = restarts();
    const ran = attempts.filter((r) => r.started_at !== null);
    assert.equal(ran.length, 3, 'breaker_max_executions = 3');
    assert.ok(ran.every((r) => r.state === 'failed'));
    // backoff: 1 s after the first failure, 2 s after the second
    assert.ok(ran[1].started_at! - ran[0].finished_at! >= 1000, 'first backoff ≥ 1 s');
    assert.ok(ran[2].started_at! - ran[1].finished_at! >= 2000, 'second backoff ≥ 2 s');
    assert.match(attempts.find((r) => r.state === 'pending_approval')!.reason, /circuit open: 3 executions/);
    await until(
      'SelfHealRecoveryActionFailed and SelfHealRecoveryCircuitOpen fire',
      async () => {
        const r = await s.prom.query(
          'ALERTS{alertstate="firing",alertname=~"SelfHealRecoveryActionFailed|SelfHealRecoveryCircuitOpen",subsystem="event_executor"}',
        );
        return new Set(r.result.map((x) => x.metric.alertname)).size === 2;
      },
      60_000,
    );
    // The failure alerts reach the receiver but never trigger a remediation of their own.
    await until(
      'the failure alert was delivered to the receiver',
      async () => s.history().some((r) => r.alertname === 'SelfHealRecoveryActionFailed'),
      60_000,
    );
    const delivered = s.history().find((r) => r.alertname === 'SelfHealRecoveryActionFailed')!;
    assert.equal(delivered.state, 'ignored');
    assert.match(delivered.reason, /record only/);
  });
});
