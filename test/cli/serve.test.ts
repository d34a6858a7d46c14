import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir, writeAged } from '../helpers/fs';
import { healthyPlatform } from '../helpers/platform';
import { BIN, freePort, until } from '../helpers/process';
import { TLS_DIR, tlsGet } from '../helpers/tls';
import { BUILTIN_SUBSYSTEMS } from '../../src/types';

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const BASE =
  'data_dir: data\nlog_dir: logs\nmodels_dir: models\ndatabase_path: db/quantum_trader.db\nmax_cpu_percent: 100\nmax_memory_percent: 100\n';

function platform(extra = '') {
  const root = tempDir();
  healthyPlatform(root, Date.now());
  const cfg = join(root, 'selfheal.yml');
  writeFileSync(cfg, BASE + extra);
  return { root, cfg };
}

/** A real `selfheal serve`, its stdout collected line by line. */
function serve(args: string[]): { proc: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  proc.stdout!.on('data', (b: Buffer) => {
    buf += b.toString('utf8');
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  proc.stderr!.on('data', (b: Buffer) => lines.push(`stderr: ${b.toString('utf8')}`));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  return { proc, lines, exited };
}

describe('selfheal CLI: help and usage', () => {
  it('serve --help and check --help print usage and exit 0', () => {
    const s = run(['serve', '--help']);
    assert.equal(s.code, 0, s.err);
    for (const flag of ['--config.file', '--web.listen-address', '--web.config.file', '--log.level', '--log.format'])
      assert.ok(s.out.includes(flag), flag);
    const c = run(['check', '-h']);
    assert.equal(c.code, 0, c.err);
    assert.match(c.out, /^Usage:\n {2}selfheal check /);
  });
  it('the usage lists every command, demo status and simulate included', () => {
    const h = run(['--help']);
    assert.equal(h.code, 0);
    for (const cmd of [
      'selfheal check',
      'selfheal serve',
      'selfheal demo fault',
      'selfheal demo heal',
      'selfheal demo status',
      'selfheal demo simulate',
    ])
      assert.ok(h.out.includes(cmd), cmd);
  });
});

describe('selfheal CLI: listener errors are one line, exit 3', () => {
  it('port already in use', async () => {
    const { cfg } = platform();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    after(() => blocker.close());
    const port = (blocker.address() as { port: number }).port;
    const r = run(['serve', '--config.file', cfg, '--web.listen-address', `127.0.0.1:${port}`, '--log.format', 'json']);
    assert.equal(r.code, 3);
    assert.equal(r.err, `selfheal: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)\n`);
    assert.doesNotMatch(r.out, /"level"/);
  });
  it('unknown host, and a listen address that is not host:port', () => {
    const { cfg } = platform();
    const bad = run(['serve', '--config.file', cfg, '--web.listen-address', 'no-such-host.invalid:0']);
    assert.equal(bad.code, 3);
    assert.match(
      bad.err,
      /^selfheal: cannot listen on no-such-host\.invalid:0: (unknown host \(ENOTFOUND\)|host name lookup failed \(EAI_AGAIN\))\n$/,
    );
    const shape = run(['serve', '--config.file', cfg, '--web.listen-address', '8477']);
    assert.equal(shape.code, 3);
    assert.match(shape.err, /^selfheal: --web\.listen-address: expected host:port/);
    const lvl = run(['serve', '--config.file', cfg, '--log.format', 'yaml']);
    assert.equal(lvl.code, 3);
    assert.match(lvl.err, /^selfheal: --log\.format: expected one of json, logfmt, got "yaml"/);
  });
});

describe('selfheal serve: logs, hold-down line, SIGHUP', () => {
  it('JSON logs with string levels; the hold-down explained first; cycles at debug; SIGHUP reloads and the process lives', async () => {
    const { cfg } = platform('api: { token: one }\npolicy: { hold_down_sec: 7 }\n');
    const port = await freePort();
    const s = serve(['--config.file', cfg, '--web.listen-address', `127.0.0.1:${port}`, '--log.format', 'json']);
    const recs = () => s.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    await until('listening', async () => recs().some((r) => /hold-down|hold_down/.test(String(r.msg))));
    const first = recs().slice(0, 2);
    assert.equal(first[0].level, 'info');
    assert.match(String(first[0].msg), new RegExp(`^selfheal listening on http://127\\.0\\.0\\.1:${port}/$`));
    assert.match(String(first[1].msg), /^Serving no_new_trades; it steps down only after health has held for 7s \(policy\.hold_down_sec\)/);
    await (await fetch(`http://127.0.0.1:${port}/health/force-check`, { method: 'POST' })).arrayBuffer();
    assert.ok(!recs().some((r) => /^Health check complete/.test(String(r.msg))), 'cycles are not logged at info');

    writeFileSync(cfg, BASE + 'api: { token: two }\npolicy: { hold_down_sec: 7 }\n');
    s.proc.kill('SIGHUP');
    await until('reloaded', async () => recs().some((r) => r.msg === 'Completed loading of configuration file'));
    const del = (tok: string) =>
      fetch(`http://127.0.0.1:${port}/policy/override`, { method: 'DELETE', headers: { authorization: `Bearer ${tok}` } }).then(
        (r) => r.status,
      );
    assert.equal(await del('one'), 401);
    assert.equal(await del('two'), 200);
    const m = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(m, /^selfheal_config_last_reload_successful 1$/m);
    assert.equal(s.proc.exitCode, null, 'SIGHUP did not kill the process');
    s.proc.kill('SIGTERM');
    assert.equal(await s.exited, 0);
  });
  it('--log.format logfmt prints ts=… level=… msg="…"; --log.level debug shows every cycle', async () => {
    const { cfg } = platform();
    const port = await freePort();
    const s = serve(['--config', cfg, '--port', String(port), '--log.format', 'logfmt', '--log.level', 'debug']);
    await until(
      'a cycle and the listening line logged',
      async () => s.lines.some((l) => l.includes('msg="Health check complete')) && s.lines.some((l) => l.includes('selfheal listening')),
    );
    const listening = s.lines.find((l) => l.includes('selfheal listening'))!;
    assert.match(
      listening,
      new RegExp(`^ts=\\S+Z level=info msg="selfheal listening on http://127\\.0\\.0\\.1:${port}/" host=127\\.0\\.0\\.1 port=${port} `),
    );
    assert.match(
      s.lines.find((l) => l.includes('Health check complete'))!,
      /^ts=\S+ level=debug /,
    );
    s.proc.kill('SIGTERM');
    await s.exited;
  });
});

describe('selfheal serve --web.config.file', () => {
  it('a bad web config file is one line naming the file and the key, exit 3', () => {
    const { root, cfg } = platform();
    const web = join(root, 'web.yml');
    writeFileSync(web, 'basic_auth_users:\n  alice: plain\n');
    const r = run(['serve', '--config.file', cfg, '--web.config.file', web]);
    assert.equal(r.code, 3);
    assert.match(
      r.err,
      new RegExp(
        `^selfheal: web config file ${web.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: basic_auth_users\\.alice: expected a bcrypt hash.*\n$`,
      ),
    );
  });
  it('serves HTTPS when the file has tls_server_config', async () => {
    const { root, cfg } = platform();
    const web = join(root, 'web.yml');
    writeFileSync(web, `tls_server_config:\n  cert_file: ${join(TLS_DIR, 'server.crt')}\n  key_file: ${join(TLS_DIR, 'server.key')}\n`);
    const port = await freePort();
    const s = serve(['--config.file', cfg, '--web.listen-address', `127.0.0.1:${port}`, '--web.config.file', web, '--log.format', 'json']);
    await until('listening', async () => s.lines.some((l) => l.includes(`listening on https://127.0.0.1:${port}/`)));
    assert.equal((await tlsGet(`https://127.0.0.1:${port}/-/healthy`)).status, 200);
    s.proc.kill('SIGTERM');
    assert.equal(await s.exited, 0);
  });
});

describe('selfheal check: status line', () => {
  it('line 1 is the monitoring-plugin status with perfdata', () => {
    const ok = platform();
    const r = run(['check', '--config.file', ok.cfg]);
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.out.split('\n')[0],
      `SELFHEAL OK - overall healthy, policy allow_all | healthy=${BUILTIN_SUBSYSTEMS.length} degraded=0 critical=0 failed=0 unknown=0 issues=0`,
    );
    const bad = platform();
    writeAged(join(bad.root, 'data', 'universe_snapshot.json'), '{"symbols":[]}', 0, Date.now());
    writeAged(join(bad.root, 'data', 'recent_trades.json'), '{}', 400, Date.now());
    const c = run(['check', '--config', bad.cfg]);
    assert.equal(c.code, 2);
    const rest = BUILTIN_SUBSYSTEMS.length - 2;
    assert.match(
      c.out.split('\n')[0],
      new RegExp(
        `^SELFHEAL CRITICAL - overall critical, policy defensive_exit, 1 critical, 1 degraded \\| healthy=${rest} degraded=1 critical=1 failed=0 unknown=0 issues=\\d+$`,
      ),
    );
  });
});
