// Scenario 4: the receiver is killed and restarted between delivery and execution (the action waits
// out a cooldown): after the restart the action runs once and nothing recorded is lost.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../src/config/load';
import { alertmanagerConfig } from '../../src/deploy/alertmanager';
import { tempDir } from '../helpers/fs';
import { freePort, processConfig, ready, serve, until } from '../helpers/process';
import { delivery, postHook } from '../helpers/receiver';
import { FixturePlatform, slowSubsystems, WEBHOOK_TOKEN } from '../helpers/e2e';
import { fastRules, startAlertmanager, startPrometheus } from '../helpers/stack';

interface Rec {
  id: string;
  alertname: string;
  action: string | null;
  subsystem: string | null;
  state: string;
  started_at: number | null;
  not_before: number | null;
}

describe('e2e: receiver restart between delivery and execution', () => {
  it('the delayed action runs once after the restart; nothing is lost', { timeout: 170_000 }, async () => {
    const root = tempDir('selfheal-e2e-');
    const port = await freePort();
    const cfgPath = join(root, 'selfheal.yml');
    writeFileSync(
      cfgPath,
      stringify(
        processConfig(port, {
          receiver: { bearer_token: WEBHOOK_TOKEN },
          recovery: { cooldown_sec: 30, local: false }, // this scenario is about the Alertmanager path
          subsystems: slowSubsystems({
            data_feed: { critical_after_sec: 4 },
            event_executor: { degraded_after_sec: 10, critical_after_sec: 60 },
          }),
        }),
      ),
    );
    const platform = new FixturePlatform(loadConfigFile(cfgPath));
    platform.start();
    after(() => platform.stop());
    let child = serve(cfgPath);
    after(() => child.kill('SIGKILL'));
    await ready(port);
    const url = `http://127.0.0.1:${port}`;
    const tokenFile = join(root, 'token');
    writeFileSync(tokenFile, WEBHOOK_TOKEN);
    const am = await startAlertmanager({
      config: stringify(
        alertmanagerConfig({
          selfhealUrl: url,
          tokenFile,
          pagerUrl: `${url}/-/healthy`,
          deadmansSwitchUrl: `${url}/-/healthy`,
          groupWait: '1s',
          groupInterval: '1s',
          repeatInterval: '1h',
        }),
      ),
    });
    await startPrometheus({ targets: [`127.0.0.1:${port}`], rules: fastRules('1s'), alertmanagers: [`127.0.0.1:${am.port}`] });
    const history = async () => (await (await fetch(`${url}/recovery/history?limit=1000`)).json()) as Rec[];

    // An earlier pause for the feed starts the 30 s cooldown of (data_feed, pause_trading).
    assert.equal(
      (
        await postHook(
          url,
          delivery([
            {
              labels: { subsystem: 'data_feed', issue_severity: 'critical', alertname: 'ManualPause' },
              fingerprint: 'manual0',
              startsAt: new Date().toISOString(),
            },
          ]),
          `Bearer ${WEBHOOK_TOKEN}`,
        )
      ).status,
      200,
    );
    await until('the earlier pause ran', async () =>
      (await history()).some((r) => r.alertname === 'ManualPause' && r.state === 'succeeded'),
    );

    platform.faults.add('data_feed');
    const fromAm = (rs: Rec[]) =>
      rs.find((r) => r.alertname === 'SelfHealSubsystemCritical' && r.subsystem === 'data_feed' && r.action === 'pause_trading');
    await until(
      'Alertmanager delivered; the pause waits out the cooldown',
      async () => fromAm(await history())?.state === 'recorded',
      90_000,
    );
    const before = await history();
    assert.ok(fromAm(before)!.not_before! > Date.now(), 'still waiting');

    child.kill('SIGKILL');
    await once(child, 'exit');
    child = serve(cfgPath);
    await ready(port);

    const pausesOf = (rs: Rec[]) =>
      rs.filter((r) => r.alertname === 'SelfHealSubsystemCritical' && r.action === 'pause_trading' && r.subsystem === 'data_feed');
    // While the exporter was down Prometheus marked its series stale, so the alert may have resolved
    // (cancelling the pause that had not run) and fired again with a new startsAt: either way the
    // pause runs after the restart, exactly once.
    await until(
      'the delayed pause ran after the restart',
      async () => pausesOf(await history()).some((r) => r.state === 'succeeded'),
      90_000,
    );
    const afterRestart = await history();
    const ids = new Set(afterRestart.map((r) => r.id));
    assert.ok(
      before.every((r) => ids.has(r.id)),
      'every record from before the kill is still there',
    );
    const pauses = pausesOf(afterRestart);
    assert.equal(pauses.filter((r) => r.started_at !== null).length, 1, 'ran exactly once');
    const original = pauses.find((r) => r.id === fromAm(before)!.id)!;
    assert.ok(['succeeded', 'cancelled'].includes(original.state), original.state);
    const policy = (await (await fetch(`${url}/policy`)).json()) as { new_positions_allowed: boolean };
    assert.equal(policy.new_positions_allowed, false);
    child.kill('SIGTERM');
    await once(child, 'exit');
  });
});
