import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir, writeAged } from '../helpers/fs';
import { healthyPlatform } from '../helpers/platform';
import { BUILTIN_SUBSYSTEMS } from '../../src/types';
import { ensureImages } from '../helpers/docker';
import { startBusyboxExecutor, startSystemdExecutor } from '../helpers/supervisors';

const BIN = resolve(__dirname, '../../../bin/selfheal.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function platform(extra = '') {
  const root = tempDir();
  healthyPlatform(root, Date.now());
  const cfg = join(root, 'selfheal.yml');
  // Resources are the test machine's own; thresholds at 100% keep them out of the verdict.
  writeFileSync(
    cfg,
    `data_dir: data\nlog_dir: logs\nmodels_dir: models\ndatabase_path: db/quantum_trader.db\nmax_cpu_percent: 100\nmax_memory_percent: 100\n${extra}`,
  );
  return { root, cfg };
}

describe('selfheal check', () => {
  it('healthy platform → exit 0, report written atomically', () => {
    const { root, cfg } = platform();
    const r = run(['check', '--config', cfg]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /Overall status: healthy/);
    assert.match(r.out, /Safety policy: allow_all/);
    const report = JSON.parse(readFileSync(join(root, 'data', 'self_healing_report.json'), 'utf8'));
    assert.equal(report.overall_status, 'healthy');
    assert.deepEqual(
      readdirSync(join(root, 'data')).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });
  it('degraded → exit 1', () => {
    const { root, cfg } = platform();
    writeAged(join(root, 'data', 'recent_trades.json'), '{}', 400, Date.now());
    const r = run(['check', '--config', cfg]);
    assert.equal(r.code, 1);
    assert.match(r.out, /^SELFHEAL WARNING - overall degraded, policy no_new_trades, 1 degraded /);
  });
  it('critical → exit 2, --json prints the report alone', () => {
    const { root, cfg } = platform();
    writeAged(join(root, 'data', 'universe_snapshot.json'), '{"symbols":[]}', 0, Date.now());
    const r = run(['check', '--config', cfg, '--json']);
    assert.equal(r.code, 2);
    const report = JSON.parse(r.out);
    assert.equal(report.overall_status, 'critical');
    assert.equal(report.current_safety_policy, 'defensive_exit');
    for (const k of [
      'timestamp',
      'subsystem_health',
      'detected_issues',
      'recovery_recommendations',
      'trading_should_continue',
      'requires_immediate_action',
      'summary',
    ]) {
      assert.ok(k in report, k);
    }
  });
  it('failed → exit 2', () => {
    const { root, cfg } = platform('subsystems:\n  event_executor: { missing_status: failed }\n');
    rmSync(join(root, 'data', 'event_executor_state.json'));
    const r = run(['check', '--config', cfg]);
    assert.equal(r.code, 2);
    assert.match(r.out, /^SELFHEAL CRITICAL - overall failed, policy emergency_shutdown, 1 failed /);
  });
  it('a corrupt file is no evidence: unknown, never failed → overall degraded, exit 1, the error shown', () => {
    const { root, cfg } = platform();
    writeAged(join(root, 'data', 'universe_snapshot.json'), '{broken', 0, Date.now());
    const r = run(['check', '--config', cfg]);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /^SELFHEAL WARNING - overall degraded, policy no_new_trades, /);
    const report = JSON.parse(readFileSync(join(root, 'data', 'self_healing_report.json'), 'utf8'));
    assert.equal(report.subsystem_health.data_feed.status, 'unknown');
    assert.match(report.subsystem_health.data_feed.details.error, /corrupt JSON/);
  });
  it('all subsystems disabled → overall unknown → exit 3', () => {
    const { cfg } = platform(`subsystems:\n${BUILTIN_SUBSYSTEMS.map((n) => `  ${n}: { enabled: false }`).join('\n')}\n`);
    const r = run(['check', '--config', cfg]);
    assert.equal(r.code, 3);
    assert.match(r.out, /^SELFHEAL UNKNOWN - overall unknown, policy no_new_trades /);
  });
  it('bad config → exit 3 naming the key; nothing else happens', () => {
    const { root, cfg } = platform('check_interval: soon\n');
    const r = run(['check', '--config', cfg]);
    assert.equal(r.code, 3);
    assert.match(r.err, /check_interval: expected a number, got "soon"/);
    assert.equal(r.out, '');
    assert.ok(!readdirSync(join(root, 'data')).includes('self_healing_report.json'));
  });
  it('missing config file → exit 3', () => {
    const r = run(['check', '--config', '/nonexistent/selfheal.yml']);
    assert.equal(r.code, 3);
    assert.match(r.err, /config file \/nonexistent\/selfheal\.yml: ENOENT/);
  });
  it('unknown option → exit 3 with usage', () => {
    const r = run(['check', '--bogus']);
    assert.equal(r.code, 3);
    assert.match(r.err, /Unknown option '--bogus'/);
    assert.match(r.err, /^Usage:\n {2}selfheal check /m);
  });
});

describe('selfheal check: recovery handler targets (the real Docker Engine and systemd)', () => {
  it('each target is looked up and reported on stderr; the exit code stays the platform health', async () => {
    const images = await ensureImages(['busybox', 'systemd']);
    const hb = tempDir();
    const container = await startBusyboxExecutor(images, hb);
    const { address } = await startSystemdExecutor(images, hb);
    const gone = join(tempDir(), 'docker.sock');
    const { cfg } = platform(
      [
        'recovery:',
        '  handlers:',
        `    - { action: restart_subsystem, subsystem: event_executor, docker: { container: ${container} } }`,
        `    - { action: restart_subsystem, subsystem: orchestrator, docker: { container: no-such-container } }`,
        `    - { action: restart_subsystem, subsystem: position_monitor, docker: { container: x, socket: ${gone} } }`,
        `    - { action: restart_subsystem, subsystem: risk_guard, systemd: { unit: heartbeat.service, address: "unix:path=${address.slice(10)}" } }`,
        `    - { action: restart_subsystem, subsystem: universe_os, systemd: { unit: no-such.service, address: "unix:path=${address.slice(10)}" } }`,
        `    - { action: disable_module, subsystem: ai_model, exec: [/nonexistent/disable] }`,
        '',
      ].join('\n'),
    );
    const r = run(['check', '--config', cfg]);
    assert.equal(r.code, 0, 'the platform is healthy: handler findings do not change the exit code');
    assert.match(r.out, /^SELFHEAL OK/);
    const lines = r.err.trim().split('\n');
    assert.deepEqual(lines, [
      `handler restart_subsystem for event_executor: docker container ${container}: ok`,
      'handler restart_subsystem for orchestrator: docker: CANNOT BE USED: container no-such-container (Docker Engine at /var/run/docker.sock): no such container',
      `handler restart_subsystem for position_monitor: docker: CANNOT BE USED: container x (Docker Engine at ${gone}): no such socket (ENOENT)`,
      'handler restart_subsystem for risk_guard: systemd unit heartbeat.service: ok',
      `handler restart_subsystem for universe_os: systemd: CANNOT BE USED: unit no-such.service (systemd on ${address.slice(10)}): no such unit`,
      'handler disable_module for ai_model: exec: CANNOT BE USED: program /nonexistent/disable not found or not executable',
    ]);
    // --json: stdout is the report alone; the findings stay on stderr.
    const j = run(['check', '--config', cfg, '--json']);
    assert.equal(JSON.parse(j.out).overall_status, 'healthy');
    assert.equal(j.err.trim().split('\n').length, 6);
  });
});
