// "A file that changes is seen promptly": with 10-minute intervals and no threshold due, only the
// file watcher can explain a status change within seconds.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fixedResources } from '../../src/detect/resources';
import { silentLogger } from '../../src/log/logger';
import { Monitor } from '../../src/engine/monitor';
import { tempDir, writeAged } from '../helpers/fs';
import { configIn } from '../helpers/config';
import { healthyPlatform } from '../helpers/platform';
import { until } from '../helpers/process';

describe('file watching', () => {
  it('a changed state file is re-checked at once, not at the next interval', async () => {
    const root = tempDir();
    healthyPlatform(root, Date.now());
    const config = configIn(root, { check_interval: 600, critical_check_interval: 600, policy: { hold_down_sec: 0 } });
    const m = new Monitor(config, {
      clock: Date.now,
      resources: fixedResources(),
      logger: silentLogger(),
      watchFiles: true,
      schedule: true,
    });
    after(() => m.stop());
    await m.start();
    assert.equal(m.state.get('data_feed')!.result.health.status, 'healthy');
    const cycles = m.cycles;
    writeAged(join(root, 'data', 'universe_snapshot.json'), '{"symbols": []}', 0, Date.now());
    await until(
      'data_feed re-checked after the write',
      async () => m.state.get('data_feed')!.result.health.status === 'critical',
      10_000,
      20,
    );
    assert.equal(m.report?.current_safety_policy, 'defensive_exit');
    assert.ok(m.cycles > cycles);
  });
});
