// Flap floors survive a restart of selfheal: the monitor's flap states are written beside the journal
// when they change, and a restarted service holds the floor of a subsystem that was flapping from its
// first cycle until it has been stable for flapping.stable_sec. Real service, real files, injected clock.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configIn } from '../helpers/config';
import { NOW, tempDir, writeAged } from '../helpers/fs';
import { healthyPlatform } from '../helpers/platform';
import { getJson, startService } from '../helpers/service';

function setup() {
  const root = tempDir();
  let now = NOW;
  healthyPlatform(root, now);
  const config = configIn(root, { policy: { hold_down_sec: 0 }, flapping: { episodes: 3, window_sec: 900, stable_sec: 600 } });
  const file = join(config.data_dir, 'selfheal_flapping.json');
  // The platform fresh at `now` (else the other subsystems go stale as the clock moves), the executor's heartbeat `ageSec` old.
  const heartbeat = (ageSec: number) => {
    healthyPlatform(root, now);
    writeAged(
      join(config.data_dir, 'event_executor_state.json'),
      JSON.stringify({ last_cycle_timestamp: new Date(now - ageSec * 1000).toISOString() }),
      0,
      now,
    );
  };
  return { root, config, file, heartbeat, clock: () => now, advance: (sec: number) => (now += sec * 1000) };
}

describe('flap floors across a restart of selfheal', () => {
  it('flapping is written down when it starts, and removed when it ends', async () => {
    const t = setup();
    const { svc } = await startService(t.config, { clock: t.clock });
    for (let i = 0; i < 3; i++) {
      t.advance(10);
      t.heartbeat(400); // critical: an unhealthy episode
      await svc.monitor.forceCheck();
      t.advance(10);
      t.heartbeat(0);
      await svc.monitor.forceCheck();
    }
    const saved = JSON.parse(readFileSync(t.file, 'utf8')) as Record<string, { since: number | null; worst: string; starts: number[] }>;
    assert.equal(saved.event_executor.since, NOW + 50_000, 'flapping since the third episode');
    assert.equal(saved.event_executor.worst, 'critical');
    assert.equal(saved.event_executor.starts.length, 3);
    // Healthy for stable_sec (600 s) and the episodes out of the window: nothing left to keep.
    for (let i = 0; i < 2; i++) {
      t.advance(600);
      t.heartbeat(0);
      await svc.monitor.forceCheck();
    }
    assert.equal(existsSync(t.file), false);
  });

  it('a restarted service holds the floor of a subsystem that was flapping from its first cycle, until it is stable', async () => {
    const t = setup();
    const flap = { starts: [NOW - 60_000, NOW - 40_000, NOW - 20_000], worst: 'critical', since: NOW - 20_000 };
    writeFileSync(t.file, JSON.stringify({ event_executor: flap }));
    const { svc, url } = await startService(t.config, { clock: t.clock });
    const served = async () => (await getJson(`${url}/policy`)).body as { policy: string; reasons: string[] };
    const first = await served();
    assert.equal(first.policy, 'defensive_exit', 'the worst status in the flaps (critical, trading-critical)');
    assert.ok(
      first.reasons.some((r) => r.startsWith('event_executor flapping since ')),
      first.reasons.join(' | '),
    );
    t.advance(599);
    t.heartbeat(0);
    await svc.monitor.forceCheck();
    assert.equal((await served()).policy, 'defensive_exit', 'healthy, but not yet for stable_sec');
    t.advance(2);
    t.heartbeat(0);
    await svc.monitor.forceCheck();
    assert.equal((await served()).policy, 'allow_all');
  });

  it('an unreadable flap file: flapping is detected afresh (logged), the start goes on', async () => {
    const t = setup();
    writeFileSync(t.file, '{"event_executor": {"sta');
    const { url } = await startService(t.config, { clock: t.clock });
    assert.equal(((await getJson(`${url}/policy`)).body as { policy: string }).policy, 'allow_all');
  });
});
