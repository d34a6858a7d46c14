// The guide's "Standalone Test" expected output, reproduced as a fixture.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fixedResources } from '../../src/detect/resources';
import { runCycle } from '../../src/engine/cycle';
import { NOW, clockAt, tempDir, writeAged } from '../helpers/fs';
import { configIn } from '../helpers/config';
import { healthyPlatform } from '../helpers/platform';

describe("the guide's standalone example", () => {
  it('feed degraded, 1 model, database missing, logs degraded, memory 91.3% → critical / no_new_trades', async () => {
    const root = tempDir();
    const config = configIn(root);
    writeAged(join(root, 'data', 'universe_snapshot.json'), '{"symbols":["BTCUSDT"]}', 320);
    writeAged(join(root, 'models', 'xgb_model.pkl'), 'm', 100);
    writeAged(join(root, 'logs', 'trader.log'), 'x', 120);
    const { report } = await runCycle(config, { clock: clockAt(NOW), resources: fixedResources({ cpu_ratio: 0.4, memory_ratio: 0.913 }) });

    assert.equal(report.overall_status, 'critical');
    assert.equal(report.current_safety_policy, 'no_new_trades');
    assert.equal(report.trading_should_continue, false);
    assert.equal(report.requires_immediate_action, true);
    assert.deepEqual(report.summary, { healthy: 0, degraded: 2, critical: 2, failed: 0 });
    assert.deepEqual(
      report.detected_issues.map((i) => `[${i.severity}] ${i.description}`),
      [
        '[medium] data_feed performance degraded',
        '[critical] ai_model is critical',
        '[critical] database is critical',
        '[medium] logging performance degraded',
        '[high] Memory usage critically high: 91.3%',
      ],
    );
    assert.deepEqual(
      report.recovery_recommendations.map((r) => [r.priority, r.description, r.can_auto_execute]),
      [
        [1, 'Disable ai_model module', true],
        [1, 'Restart database subsystem', true],
        [2, 'Reload configuration files', false],
        [2, 'Reload configuration files', false],
        [2, 'Switch to safe risk profile', true],
      ],
    );
    const ai = report.detected_issues[1];
    assert.equal(ai.root_cause, 'Missing model files');
    assert.equal(ai.impacts_trading, false);
    assert.deepEqual(ai.affects_subsystems, ['event_executor', 'model_supervisor']);
    assert.deepEqual(report.subsystem_health.ai_model.details.existing_models, ['xgb_model.pkl']);
    assert.equal(report.subsystem_health.data_feed.details.warning, 'File 320s old (stale)');
    assert.equal(report.timestamp, '2026-11-29T12:00:00.000Z');
  });

  it('a trading-critical critical issue moves the policy to defensive_exit', async () => {
    const root = tempDir();
    const config = configIn(root);
    writeAged(join(root, 'data', 'universe_snapshot.json'), '{"symbols":["BTCUSDT"]}', 3601);
    const { report } = await runCycle(config, { clock: clockAt(NOW), resources: fixedResources() });
    assert.equal(report.subsystem_health.data_feed.status, 'critical');
    assert.equal(report.current_safety_policy, 'defensive_exit');
    const rec = report.recovery_recommendations.find((r) => r.issue.subsystem === 'data_feed')!;
    assert.deepEqual([rec.action, rec.can_auto_execute, rec.requires_approval], ['pause_trading', true, false]);
  });

  it('a corrupt trading-critical state file is no evidence: unknown → no_new_trades, never failed or an emergency', async () => {
    const root = tempDir();
    healthyPlatform(root, NOW);
    writeAged(join(root, 'data', 'event_executor_state.json'), '{not json', 0);
    const { report } = await runCycle(configIn(root), { clock: clockAt(NOW), resources: fixedResources() });
    assert.equal(report.subsystem_health.event_executor.status, 'unknown');
    assert.equal(report.overall_status, 'degraded');
    assert.equal(report.current_safety_policy, 'no_new_trades');
  });
});
