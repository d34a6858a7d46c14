// Scenario 3: two Alertmanagers clustered on loopback (an HA pair), both receiving the alerts and both
// routing to the receiver: exactly one execution.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { until } from '../helpers/process';
import { startStack } from '../helpers/e2e';

describe('e2e: Alertmanager HA pair', () => {
  it('both peers see the alert; the receiver runs its action exactly once', { timeout: 170_000 }, async () => {
    const s = await startStack({ alertmanagers: 2 });
    await until('the peers formed a cluster', async () => {
      const st = (await (await fetch(`${s.ams[0].url}/api/v2/status`)).json()) as { cluster: { peers: unknown[] } };
      return st.cluster.peers.length === 2;
    });
    s.platform.faults.add('ai_model'); // 3 of 4 model files disappear: critical → disable_module
    const disables = () => s.history().filter((r) => r.action === 'disable_module' && r.subsystem === 'ai_model');
    await until('disable_module executed', async () => disables().some((r) => r.state === 'succeeded'), 90_000);
    for (const am of s.ams) {
      await until(`peer :${am.port} holds the alert`, async () => {
        const alerts = (await (await fetch(`${am.url}/api/v2/alerts?filter=alertname%3D%22SelfHealSubsystemCritical%22`)).json()) as {
          labels: Record<string, string>;
        }[];
        return alerts.some((a) => a.labels.subsystem === 'ai_model');
      });
    }
    // A duplicate from the second peer, if it sends one, arrives within its peer timeout (2 s) plus a
    // group interval (1 s); watch past that window, then count.
    const window = Date.now() + 6000;
    await until('the duplicate window passed', async () => Date.now() > window, 10_000, 200);
    assert.equal(disables().filter((r) => r.started_at !== null).length, 1, 'exactly one execution');
    assert.equal(disables().length, 1, 'recorded once');
  });
});
