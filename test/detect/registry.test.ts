import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config/load';
import { Section } from '../../src/schema/reader';
import { CHECK_MODULES, CHECK_TYPES, simulateCheck, watchedPath } from '../../src/detect/registry';
import { checkMany } from '../../src/detect/run';
import { configIn } from '../helpers/config';
import { NOW, clockAt, tempDir } from '../helpers/fs';

describe('check registry: one map, everything derived from it', () => {
  const entries = Object.entries(CHECK_MODULES);

  for (const [key, mod] of entries) {
    it(`${key}: registered under its own type, with parse, run, watches, thresholds and simulate`, () => {
      assert.equal(mod.type, key);
      for (const fn of ['parse', 'run', 'watches', 'thresholds', 'simulate'] as const) assert.equal(typeof mod[fn], 'function', fn);
    });
    it(`${key}: parse names the key of any missing setting (or needs none)`, () => {
      try {
        assert.equal(mod.parse(Section.of('subsystems.x', {}), '/data').type, key);
      } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        assert.match(err.message, /^subsystems\.x\.\w+: /);
      }
    });
  }

  it('the list of types is the map, in its order', () => assert.deepEqual(CHECK_TYPES, Object.keys(CHECK_MODULES)));

  it('an unknown check type: the error lists the registered types', () => {
    assert.throws(() => parseConfig({ subsystems: { x: { check: 'ping' } } }, '/'), {
      message: `subsystems.x.check: expected one of ${CHECK_TYPES.join(', ')}, got "ping"`,
    });
  });
  it('a subsystem of your own without a check: the error lists the registered types', () =>
    assert.throws(() => parseConfig({ subsystems: { mine: {} } }, '/'), {
      message: `subsystems.mine.check: required for a subsystem of your own (one of ${CHECK_TYPES.join(', ')})`,
    }));
});

describe('check registry: dispatch to the type of each spec', () => {
  const net = { web: { check: 'http', url: 'http://127.0.0.1:9/' }, port: { check: 'tcp', host: '127.0.0.1', port: 9 } };

  it("watches a file check's file, a directory check's directory, and nothing for a network check", () => {
    const root = tempDir();
    const c = configIn(root, { subsystems: net });
    const data = join(root, 'data');
    const want: Record<string, ReturnType<typeof watchedPath>> = {
      data_feed: { dir: data, file: 'universe_snapshot.json' },
      event_executor: { dir: data, file: 'event_executor_state.json' },
      database: { dir: dirname(c.database_path), file: 'quantum_trader.db' },
      ai_model: { dir: c.models_dir, file: null },
      logging: { dir: c.log_dir, file: null },
      web: null,
      port: null,
    };
    for (const [name, w] of Object.entries(want)) {
      assert.deepEqual(watchedPath(c.subsystems.find((s) => s.name === name)!.check), w, name);
    }
  });

  it('the demo keeps every file check healthy, and a faulted one goes unhealthy', async () => {
    // Real time: the checks compare the files' real mtimes with it.
    const now = Date.now();
    const root = tempDir();
    const fresh = configIn(join(root, 'fresh'));
    for (const s of fresh.subsystems) simulateCheck(s.check, false, now);
    for (const r of await checkMany(fresh.subsystems, clockAt(now))) assert.equal(r.health.status, 'healthy', r.health.subsystem);

    const broken = configIn(join(root, 'broken'));
    for (const s of broken.subsystems) simulateCheck(s.check, true, now);
    for (const r of await checkMany(broken.subsystems, clockAt(now))) assert.notEqual(r.health.status, 'healthy', r.health.subsystem);
  });

  it('the demo leaves network checks alone', () => {
    const c = configIn(tempDir(), { subsystems: net });
    for (const name of ['web', 'port'])
      assert.doesNotThrow(() => simulateCheck(c.subsystems.find((s) => s.name === name)!.check, true, NOW));
  });
});
