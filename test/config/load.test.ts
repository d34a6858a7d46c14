import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load';
import { specOf } from '../../src/handlers/registry';
import { CHECK_TYPES } from '../../src/detect/registry';
import { BUILTIN_SUBSYSTEMS } from '../../src/types';
import { tempDir } from '../helpers/fs';

const bad = (raw: unknown, message: string) =>
  assert.throws(
    () => parseConfig(raw, '/base'),
    (e: unknown) => e instanceof ConfigError && e.message === message,
  );

describe("config defaults (the guide's constructor parameters)", () => {
  const c = parseConfig({}, '/');
  const want = {
    data_dir: '/app/data',
    log_dir: '/app/logs',
    models_dir: '/app/ai_engine/models',
    database_path: '/app/backend/data/quantum_trader.db',
    check_interval: 30,
    critical_check_interval: 5,
    max_consecutive_failures: 3,
    max_error_rate: 0.2,
    stale_data_threshold_sec: 300,
    max_cpu_percent: 90,
    max_memory_percent: 85,
    auto_restart_enabled: true,
    auto_pause_on_critical: true,
  };
  for (const [k, v] of Object.entries(want)) it(`${k} = ${v}`, () => assert.equal(c[k as keyof typeof c], v));
  it("has the 13 subsystems in the guide's order", () =>
    assert.deepEqual(
      c.subsystems.map((s) => s.name),
      [...BUILTIN_SUBSYSTEMS],
    ));
  it('dependency map', () => {
    const dep = Object.fromEntries(c.subsystems.map((s) => [s.name, s.dependents]));
    assert.deepEqual(dep.data_feed, ['ai_model', 'event_executor']);
    assert.deepEqual(dep.ai_model, ['event_executor', 'model_supervisor']);
    assert.deepEqual(dep.exchange_connection, ['event_executor', 'position_monitor']);
    assert.deepEqual(
      dep.database,
      BUILTIN_SUBSYSTEMS.filter((s) => s !== 'database'),
    );
    assert.deepEqual(dep.logging, []);
  });
  it("trading criticality from the guide's table", () => {
    const crit = Object.fromEntries(c.subsystems.map((s) => [s.name, s.criticality]));
    assert.deepEqual(
      Object.keys(crit).filter((k) => crit[k] === 'yes'),
      ['data_feed', 'exchange_connection', 'event_executor', 'risk_guard'],
    );
    assert.deepEqual(
      Object.keys(crit).filter((k) => crit[k] === 'no'),
      ['model_supervisor', 'retraining_orchestrator', 'logging'],
    );
  });
});

describe('config validation names the key and the reason', () => {
  it('wrong type', () => bad({ check_interval: 'soon' }, 'check_interval: expected a number, got "soon"'));
  it('out of range', () => bad({ max_error_rate: 1.5 }, 'max_error_rate: must be at most 1, got 1.5'));
  it('non-positive interval', () => bad({ check_interval: 0 }, 'check_interval: must be greater than 0, got 0'));
  it('unknown top-level key (typo)', () => bad({ chek_interval: 5 }, 'chek_interval: unknown key'));
  it('wrong boolean', () => bad({ auto_restart_enabled: 'yes' }, 'auto_restart_enabled: expected true or false, got "yes"'));
  it('unknown subsystem key', () => bad({ subsystems: { data_feed: { pth: 'x' } } }, 'subsystems.data_feed.pth: unknown key'));
  it('bad check type', () =>
    bad({ subsystems: { x: { check: 'ping' } } }, `subsystems.x.check: expected one of ${CHECK_TYPES.join(', ')}, got "ping"`));
  it('own subsystem without a check', () =>
    bad({ subsystems: { mine: {} } }, `subsystems.mine.check: required for a subsystem of your own (one of ${CHECK_TYPES.join(', ')})`));
  it('thresholds out of order', () =>
    bad(
      { subsystems: { orchestrator: { degraded_after_sec: 100, critical_after_sec: 50 } } },
      'subsystems.orchestrator.critical_after_sec: must be at least degraded_after_sec (100), got 50',
    ));
  it('unknown dependent', () =>
    bad({ subsystems: { data_feed: { dependents: ['nope'] } } }, 'subsystems.data_feed.dependents[0]: unknown subsystem "nope"'));
  it('bad criticality', () =>
    bad(
      { subsystems: { logging: { critical_for_trading: 'maybe' } } },
      'subsystems.logging.critical_for_trading: expected one of yes, partial, no, got "maybe"',
    ));
  it('not a mapping', () => bad(['a'], 'config: expected a mapping, got a list'));
});

describe('subsystem overrides', () => {
  it('disable, repoint, re-threshold, re-classify', () => {
    const c = parseConfig(
      {
        data_dir: '/d',
        subsystems: {
          logging: { enabled: false },
          orchestrator: { path: '/elsewhere/orch.json', degraded_after_sec: 30, critical_after_sec: 90, critical_for_trading: 'yes' },
          data_feed: { dependents: ['ai_model'] },
        },
      },
      '/',
    );
    const o = c.subsystems.find((s) => s.name === 'orchestrator')!;
    assert.deepEqual([o.criticality, o.check.type, (o.check as { path: string }).path], ['yes', 'file_freshness', '/elsewhere/orch.json']);
    assert.equal(c.subsystems.find((s) => s.name === 'logging')!.enabled, false);
    // database's "every other subsystem" leaves the disabled one out.
    assert.ok(!c.subsystems.find((s) => s.name === 'database')!.dependents.includes('logging'));
    assert.deepEqual(c.subsystems.find((s) => s.name === 'data_feed')!.dependents, ['ai_model']);
  });
  it('another check type for a built-in subsystem drops the built-in check keys', () => {
    const c = parseConfig({ subsystems: { exchange_connection: { check: 'http', url: 'http://127.0.0.1:1/ping' } } }, '/');
    const x = c.subsystems.find((s) => s.name === 'exchange_connection')!;
    assert.equal(x.check.type, 'http');
    assert.equal(x.criticality, 'yes');
  });
  it('relative paths: dirs relative to the config file, files relative to data_dir', () => {
    const c = parseConfig({ data_dir: 'data' }, '/etc/selfheal');
    assert.equal(c.data_dir, '/etc/selfheal/data');
    assert.equal((c.subsystems[0].check as { path: string }).path, '/etc/selfheal/data/universe_snapshot.json');
  });
});

describe('config files', () => {
  it('reads YAML', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'c.yml'), 'check_interval: 10\nsubsystems:\n  logging:\n    enabled: false\n');
    assert.equal(loadConfigFile(join(dir, 'c.yml')).check_interval, 10);
  });
  it('invalid YAML and missing files are ConfigErrors', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'c.yml'), 'a: [\n');
    assert.throws(() => loadConfigFile(join(dir, 'c.yml')), /invalid YAML/);
    assert.throws(() => loadConfigFile(join(dir, 'nope.yml')), /ENOENT/);
  });
  it('tokens from files and the environment', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tok'), 's3cret\n');
    writeFileSync(join(dir, 'c.yml'), `api:\n  token_file: ${join(dir, 'tok')}\n`);
    assert.equal(loadConfigFile(join(dir, 'c.yml')).api.token, 's3cret');
    writeFileSync(join(dir, 'd.yml'), 'port: 1\n');
    assert.equal(loadConfigFile(join(dir, 'd.yml'), { SELFHEAL_API_TOKEN: 'env' }).api.token, 'env');
    assert.equal(loadConfigFile(join(dir, 'd.yml'), { SELFHEAL_WEBHOOK_TOKEN: 'hook' }).receiver.bearer_token, 'hook');
  });
});

describe('timers Node cannot hold are rejected at load', () => {
  const table: [Record<string, unknown>, string][] = [
    [{ check_timeout_sec: 2147484 }, 'check_timeout_sec: must be at most 2147483, got 2147484'],
    [{ check_interval: 1e9 }, 'check_interval: must be at most 2147483, got 1000000000'],
    [{ critical_check_interval: 2147484 }, 'critical_check_interval: must be at most 2147483, got 2147484'],
    [{ policy: { hold_down_sec: 3e6 } }, 'policy.hold_down_sec: must be at most 2147483, got 3000000'],
    [{ recovery: { settle_sec: 3e6 } }, 'recovery.settle_sec: must be at most 2147483, got 3000000'],
    [{ recovery: { backoff_max_sec: 3e6 } }, 'recovery.backoff_max_sec: must be at most 2147483, got 3000000'],
    [{ subsystems: { logging: { timeout_sec: 3e6 } } }, 'subsystems.logging.timeout_sec: must be at most 2147483, got 3000000'],
  ];
  for (const [raw, message] of table) it(message.split(':')[0], () => bad(raw, message));
  it('at the limit is fine', () => assert.equal(parseConfig({ check_timeout_sec: 2147483 }, '/').check_timeout_sec, 2147483));
  it('max_clock_skew_sec and recovery.local have defaults', () => {
    const c = parseConfig({}, '/');
    assert.deepEqual([c.max_clock_skew_sec, c.recovery.local], [30, true]);
  });
});

describe('recovery.handlers: one kind each, its own keys, defaults and validation', () => {
  const handlers = (...h: unknown[]) => ({ recovery: { handlers: h } });
  const one = (h: Record<string, unknown>) => parseConfig(handlers({ action: 'restart_subsystem', ...h }), '/').recovery.handlers[0];

  it('docker and systemd: defaults, and the spec each runs', () => {
    const d = one({ docker: { container: 'executor' } });
    assert.deepEqual(d.docker, { container: 'executor', socket: '/var/run/docker.sock', stop_timeout_sec: 10, op: null });
    assert.deepEqual([d.exec, d.http, d.systemd, d.timeout_sec], [null, null, null, 30]);
    assert.deepEqual(specOf(d), {
      kind: 'docker',
      container: 'executor',
      socket: '/var/run/docker.sock',
      stop_timeout_sec: 10,
      op: 'restart',
    });
    assert.deepEqual(specOf(one({ systemd: { unit: 'executor.service' } })), {
      kind: 'systemd',
      unit: 'executor.service',
      bus: 'system',
      address: null,
      op: 'restart',
    });
    assert.deepEqual(specOf(one({ exec: ['/bin/true'], env: ['X'] })), { kind: 'exec', argv: ['/bin/true'], env: ['X'] });
  });

  it('disable_module may stop a container or unit, only when op: stop says so', () => {
    const h = parseConfig(handlers({ action: 'disable_module', systemd: { unit: 'ai.service', op: 'stop' } }), '/').recovery.handlers[0];
    const spec = specOf(h);
    assert.equal(spec.kind === 'systemd' && spec.op, 'stop');
  });

  const cases: [string, unknown, string][] = [
    [
      'two kinds',
      { action: 'restart_subsystem', exec: ['/bin/true'], docker: { container: 'x' } },
      'recovery.handlers[0].exec: a handler needs exactly one of exec, http, docker or systemd',
    ],
    ['no kind', { action: 'restart_subsystem' }, 'recovery.handlers[0].exec: a handler needs exactly one of exec, http, docker or systemd'],
    ['no container', { action: 'restart_subsystem', docker: {} }, 'recovery.handlers[0].docker.container: required'],
    [
      'unknown docker key',
      { action: 'restart_subsystem', docker: { container: 'x', sock: '/s' } },
      'recovery.handlers[0].docker.sock: unknown key',
    ],
    ['no unit', { action: 'restart_subsystem', systemd: { bus: 'system' } }, 'recovery.handlers[0].systemd.unit: required'],
    [
      'bad bus',
      { action: 'restart_subsystem', systemd: { unit: 'a.service', bus: 'session' } },
      'recovery.handlers[0].systemd.bus: expected one of system, user, got "session"',
    ],
    [
      'bad address',
      { action: 'restart_subsystem', systemd: { unit: 'a.service', address: 'tcp:host=x' } },
      'recovery.handlers[0].systemd.address: expected a unix: D-Bus address (unix:path=/run/dbus/system_bus_socket), got "tcp:host=x"',
    ],
    [
      'stop without op for disable_module',
      { action: 'disable_module', docker: { container: 'x' } },
      'recovery.handlers[0].docker.op: required for disable_module: "stop" (a supervisor handler stops the module only when told so)',
    ],
    [
      'stop for a restart',
      { action: 'restart_subsystem', docker: { container: 'x', op: 'stop' } },
      'recovery.handlers[0].docker.op: restart_subsystem restarts its target: "restart" (or leave it out), got "stop"',
    ],
    [
      'a supervisor for a trading action',
      { action: 'close_all_positions', docker: { container: 'bot' } },
      "recovery.handlers[0].docker.op: a supervisor handler never runs for close_all_positions: stopping or restarting a trading bot leaves its positions open (the policy floor is this action's effect)",
    ],
    [
      'a supervisor for defensive_exit',
      { action: 'defensive_exit', systemd: { unit: 'bot.service', op: 'stop' } },
      "recovery.handlers[0].systemd.op: a supervisor handler never runs for defensive_exit: stopping or restarting a trading bot leaves its positions open (the policy floor is this action's effect)",
    ],
    ['env on docker', { action: 'restart_subsystem', docker: { container: 'x' }, env: ['X'] }, 'recovery.handlers[0].env: unknown key'],
  ];
  for (const [what, h, message] of cases) it(`${what} → names the key`, () => bad(handlers(h), message));
});

describe('api: stream caps below the connection cap', () => {
  // [api, max_streams served, or the error naming the key]
  const cases: [Record<string, number>, number | string][] = [
    [{ max_connections: 100 }, 50],
    [{ max_connections: 100, max_streams: 99 }, 99],
    [
      { max_connections: 100, max_streams: 100 },
      'api.max_streams: must be below api.max_connections (100): /policy, the operator and the webhook need room',
    ],
  ];
  for (const [api, want] of cases)
    it(`${JSON.stringify(api)} → ${want}`, () => {
      if (typeof want === 'string') bad({ api }, want);
      else assert.equal(parseConfig({ api }, '/').api.max_streams, want);
    });
});
