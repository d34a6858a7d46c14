import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir, writeAged } from '../helpers/fs';
import { healthyPlatform } from '../helpers/platform';
import { BUILTIN_SUBSYSTEMS } from '../../src/types';

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
