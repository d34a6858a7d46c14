// Issue 22 item 6, through the real service: every declared key is changed in the file and reloaded
// with POST /-/reload. A live key is listed in `changed` and the running config then equals the file; a
// restart-only key refuses the reload, naming it, and nothing changes. The table is the declarations, so
// a new key is in it without editing this file. Then the keys the issue found ignored, by what they do.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { configChanges } from '../../src/config/changes';
import { loadConfigFile } from '../../src/config/load';
import { ROOT_KEYS, SECTIONS, SUBSYSTEM_KEYS } from '../../src/config/schema';
import type { Config } from '../../src/config/types';
import { CHECK_MODULES } from '../../src/detect/registry';
import { createLogger } from '../../src/log/logger';
import type { Key, Keys } from '../../src/schema/keys';
import { Reloader } from '../../src/serve/reload';
import { tempDir, writeAged } from '../helpers/fs';
import { fullRawConfig } from '../helpers/full_config';
import { healthyPlatform } from '../helpers/platform';
import { BIN, freePort, until } from '../helpers/process';
import { delivery } from '../helpers/receiver';
import { getJson, post, startService } from '../helpers/service';

type Raw = Record<string, unknown>;
type Path = (string | number)[];

/** The subsystem of the full config that exercises each check type's keys. */
const BY_TYPE: Record<string, string> = {
  file_freshness: 'data_feed',
  json_timestamp: 'event_executor',
  file_set: 'ai_model',
  file_presence: 'database',
  newest_file: 'logging',
  http: 'web',
  tcp: 'port',
};

/** Keys read into another: what changes, and what to take away so the file value is the one used. */
const INTO: Record<string, { key: string; drop: Path }> = {
  'api.token_file': { key: 'api.token', drop: ['api', 'token'] },
  'receiver.bearer_token_file': { key: 'receiver.bearer_token', drop: ['receiver', 'bearer_token'] },
  'receiver.basic_auth.password_file': { key: 'receiver.basic_auth.password', drop: ['receiver', 'basic_auth', 'password'] },
};

/** Every declared key as a place in the file. */
function places(): { path: Path; key: Key<unknown> }[] {
  const out: { path: Path; key: Key<unknown> }[] = [];
  const add = (at: Path, keys: Keys) => {
    for (const [name, k] of Object.entries(keys) as [string, Key<unknown>][]) {
      if (k.kinds) {
        for (const [i, kind] of Object.keys(k.kinds).entries()) add([...at, name, i], { ...k.keys, ...k.kinds[kind] });
      } else if (k.keys) add([...at, name], k.keys);
      else out.push({ path: [...at, name], key: k });
    }
  };
  add([], ROOT_KEYS);
  for (const [name, keys] of Object.entries(SECTIONS)) add([name], keys);
  add(['subsystems', 'logging'], SUBSYSTEM_KEYS);
  for (const [type, sub] of Object.entries(BY_TYPE)) add(['subsystems', sub], CHECK_MODULES[type as keyof typeof CHECK_MODULES].keys);
  return out;
}

const keyName = (p: Path) => p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i ? `.${s}` : s)).join('');

function get(raw: Raw, p: Path): unknown {
  return p.reduce<unknown>((n, s) => (n as Raw | undefined)?.[s], raw);
}

function set(raw: Raw, p: Path, v: unknown): Raw {
  const copy = structuredClone(raw);
  let n = copy as Raw;
  for (const s of p.slice(0, -1)) n = (n[s] ??= {}) as Raw;
  n[p[p.length - 1]] = v; // undefined: left out of the YAML (stringify drops it)
  return copy;
}

/** Values to try for a key, other than its current one; the first the parser takes as a change of it is used. */
function candidates(k: Key<unknown>, cur: unknown, root: string, name: string): unknown[] {
  if (name.endsWith('_file')) {
    const f = join(root, `${name.replace(/\W/g, '_')}.secret`);
    writeFileSync(f, `from-${name}\n`);
    return [f];
  }
  const schema = k.schema() as { enum?: string[]; pattern?: string; items?: { enum?: string[]; pattern?: string } };
  const c = cur ?? k.default;
  if (k.type === 'boolean') return [!c];
  if (schema.enum) return schema.enum.filter((v) => v !== c);
  if (/number|integer/.test(k.type) && k.type !== 'list') {
    const n = typeof c === 'number' ? c : 5;
    return [n + 1, n * 2, n - 1, n / 2, 2, 1, 0.5, 100, null];
  }
  if (k.type === 'HTTP status, or a list of them') return [[500], 204];
  if (Array.isArray(c) || k.type.startsWith('list')) {
    const list = (c as unknown[] | undefined) ?? [];
    const pool = schema.items?.enum ?? [schema.items?.pattern ? 'other.internal' : 'extra.bin', 'HOME', '--x'];
    return [...pool.filter((v) => !list.includes(v)).map((v) => [...list, v]), ['risk_guard'], ['a.bin', 'b.bin', 'c.bin', 'd.bin']];
  }
  if (k.type === 'mapping of strings') return [{ ...(c as object), 'X-New': 'y' }];
  if (schema.pattern?.includes('https')) return ['http://127.0.0.1:9/other'];
  // Last: leave it out (an optional key whose only other valid value is none, e.g. a supervisor's `op`).
  return [typeof c === 'string' ? `${c}2` : 'other', 'trader-9:8477', undefined];
}

async function setup(rawBase: (root: string) => Raw) {
  const root = tempDir();
  healthyPlatform(root, Date.now());
  const file = join(root, 'selfheal.yml');
  const base = rawBase(root);
  writeFileSync(file, stringify(base));
  const logs: Raw[] = [];
  const logger = createLogger('info', { write: (s: string) => void logs.push(JSON.parse(s) as Raw) });
  const started = await startService(loadConfigFile(file), { logger }, { receiver: true });
  new Reloader(started.svc, { loadConfig: () => loadConfigFile(file), webConfigFile: null });
  const reload = async (raw: Raw) => {
    writeFileSync(file, stringify(raw));
    const r = await post(`${started.url}/-/reload`, {}, { authorization: `Bearer ${started.svc.config.api.token}` });
    return r.body as { ok: boolean; changed: string[]; error?: string };
  };
  return { ...started, root, file, base, logs, reload, load: () => loadConfigFile(file) };
}

describe('reload of every declared key through the real service (POST /-/reload)', () => {
  it('a live key is listed in changed and applied; a restart-only key is refused, named, and nothing changes', async () => {
    const t = await setup((root) => {
      const raw = fullRawConfig(root);
      (raw.api as Raw).token = 'op';
      (raw.recovery as Raw).local = false; // nothing of ours runs while the keys change
      return raw;
    });
    const baseline: Config = t.load();
    const table = places();
    assert.ok(table.length >= 90, `${table.length} keys`);
    const counts = { live: 0, restart: 0 };
    for (const { path, key } of table) {
      const name = keyName(path);
      if (name === 'subsystems.logging.check') continue; // another type needs its own keys: the next test
      const into = INTO[name];
      const expected = into?.key ?? name;
      let raw: Raw | null = null;
      let next: Config | null = null;
      for (const v of candidates(key, get(t.base, path), t.root, name)) {
        const r = set(into?.drop.length ? set(t.base, into.drop, undefined) : t.base, path, v);
        writeFileSync(t.file, stringify(r));
        try {
          const n = t.load();
          const keys = configChanges(baseline, n).map((c) => c.key);
          if (keys.includes(expected)) {
            raw = r;
            next = n;
            break;
          }
        } catch {
          /* not a valid value for this key: the next candidate */
        }
      }
      assert.ok(raw && next, `${name}: no candidate value changes it`);
      const answer = await t.reload(raw);
      if (key.reload === 'live' || into) {
        assert.equal(answer.ok, true, `${name}: ${answer.error}`);
        assert.ok(answer.changed.includes(expected), `${name}: changed ${JSON.stringify(answer.changed)}`);
        assert.deepEqual(configChanges(t.svc.config, next), [], `${name}: the running config is the file's`);
        counts.live++;
      } else {
        assert.equal(answer.ok, false, name);
        assert.match(answer.error ?? '', new RegExp(`(^|, )${expected.replace(/[.[\]]/g, '\\$&')}(, |: )`), name);
        assert.match(answer.error ?? '', /: changed, which needs a restart \(the running configuration is unchanged\)$/, name);
        counts.restart++;
      }
      const back = await t.reload(t.base);
      assert.equal(back.ok, true, `${name}: back: ${back.error}`);
      assert.deepEqual(configChanges(t.svc.config, baseline), [], `${name}: back to the baseline`);
    }
    assert.ok(counts.live > 40 && counts.restart > 25, JSON.stringify(counts));
  });

  it('another check type is live; a subsystem added is refused by name', async () => {
    const t = await setup((root) => ({ ...fullRawConfig(root), api: { token: 'op' }, recovery: { local: false } }));
    const swapped = set(t.base, ['subsystems', 'port'], { check: 'http', url: 'http://127.0.0.1:9/ok' });
    assert.deepEqual((await t.reload(swapped)).changed.sort(), ['subsystems.port.check']);
    assert.equal(t.svc.config.subsystems.find((s) => s.name === 'port')?.check.type, 'http');
    const added = set(t.base, ['subsystems', 'hedger'], { check: 'tcp', host: '127.0.0.1', port: 9 });
    const r = await t.reload(added);
    assert.equal(r.ok, false);
    assert.match(r.error ?? '', /(^|, )subsystems\.hedger(, |: )/);
  });
});

/** A raw loopback connection. */
async function raw(url: string): Promise<{ sock: Socket; text: () => string; closed: Promise<void> }> {
  const sock = connect(Number(new URL(url).port), '127.0.0.1');
  await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
  let got = '';
  sock.on('data', (b: Buffer) => (got += b.toString('latin1')));
  sock.on('error', () => undefined);
  return { sock, text: () => got, closed: new Promise<void>((r) => sock.once('close', () => r())) };
}

describe('the keys issue 22 found answering ok and ignored, now applied where they are read', () => {
  const minimal = (root: string): Raw => ({
    data_dir: join(root, 'data'),
    log_dir: join(root, 'logs'),
    models_dir: join(root, 'models'),
    database_path: join(root, 'db', 'quantum_trader.db'),
    max_cpu_percent: 100,
    max_memory_percent: 100,
    instance: 'trader-1:8477',
    api: { token: 'op', max_connections: 64 },
    receiver: { bearer_token: 'hook', body_timeout_sec: 30 },
    recovery: { local: false },
    policy: { hold_down_sec: 0 },
  });

  it('instance: after a reload to trader-9, an alert naming trader-9 is this host’s and imposes its floor', async () => {
    const t = await setup(minimal);
    const alert = (fp: string) =>
      delivery([{ labels: { subsystem: 'data_feed', issue_severity: 'critical', instance: 'trader-9:8477' }, fingerprint: fp }]);
    const hook = { authorization: 'Bearer hook' };
    assert.equal((await post(`${t.url}/alertmanager/webhook`, alert('before'), hook)).status, 200);
    await t.receiver!.executor.runDue();
    assert.equal(t.receiver!.store.history(1)[0].state, 'ignored');
    assert.equal(t.svc.policy().policy, 'allow_all');

    const r = await t.reload({ ...t.base, instance: 'trader-9:8477' });
    assert.deepEqual(r.changed, ['instance']);
    assert.equal((await post(`${t.url}/alertmanager/webhook`, alert('after'), hook)).status, 200);
    await t.receiver!.executor.runDue();
    assert.notEqual(t.receiver!.store.history(1)[0].state, 'ignored');
    assert.equal(t.svc.policy().policy, 'no_new_trades');
  });

  it('max_clock_skew_sec: a heartbeat 45 s ahead is an error under 30, fresh evidence under 60', async () => {
    const t = await setup(minimal);
    const state = join(t.root, 'data', 'event_executor_state.json');
    writeAged(state, JSON.stringify({ last_cycle_timestamp: new Date(Date.now() + 45_000).toISOString() }), 1, Date.now());
    const details = async () => (await t.svc.monitor.forceCheck()).subsystem_health.event_executor.details;
    assert.match(String((await details()).error), /max_clock_skew_sec 30/);
    assert.deepEqual((await t.reload({ ...t.base, max_clock_skew_sec: 60 })).changed, ['max_clock_skew_sec']);
    assert.equal((await details()).error, undefined);
  });

  it('receiver.body_timeout_sec: lowered from 30 s to 1 s, a trickling request is answered 408 within seconds', async () => {
    const t = await setup(minimal);
    assert.deepEqual((await t.reload(set(t.base, ['receiver', 'body_timeout_sec'], 1))).changed, ['receiver.body_timeout_sec']);
    const c = await raw(t.url);
    c.sock.write(
      'POST /alertmanager/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer hook\r\nContent-Type: application/json\r\n',
    );
    const started = Date.now();
    let closed = false;
    void c.closed.then(() => (closed = true));
    // Headers a byte at a time; under the old 30 s it would stay open that long.
    while (!closed && Date.now() - started < 20_000) {
      c.sock.write('X');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(closed, 'still open after 20 s');
    assert.match(c.text(), /^HTTP\/1\.1 408 /);
  });

  it('api.max_connections: lowered to 2, a third connection is closed at once', async () => {
    const t = await setup(minimal);
    // The stream caps' defaults follow it (half of it, and at most that per client): changed with it, and said so.
    assert.deepEqual((await t.reload(set(t.base, ['api', 'max_connections'], 2))).changed, [
      'api.max_connections',
      'api.max_streams',
      'api.max_streams_per_client',
    ]);
    const held = [await raw(t.url), await raw(t.url)];
    const third = await raw(t.url);
    await third.closed;
    assert.equal(third.text(), '');
    for (const h of held) h.sock.destroy();
  });

  it('console.grafana_url: the console links to the new Grafana at once', async () => {
    const t = await setup(minimal);
    assert.equal((await getJson(`${t.url}/console/config`)).body.grafana_url, null);
    const r = await t.reload(set(t.base, ['console', 'grafana_url'], 'https://grafana.example/'));
    assert.deepEqual(r.changed, ['console.grafana_url']);
    assert.equal((await getJson(`${t.url}/console/config`)).body.grafana_url, 'https://grafana.example');
  });
});

describe('a file value masked by a command-line flag is logged, at start and on every reload (selfheal serve)', () => {
  it('port in the file, --port on the command line: a warning naming both, again after SIGHUP', async () => {
    const root = tempDir();
    healthyPlatform(root, Date.now());
    const cfg = join(root, 'selfheal.yml');
    const yaml = (port: number) =>
      `data_dir: data\nlog_dir: logs\nmodels_dir: models\ndatabase_path: db/quantum_trader.db\nport: ${port}\nmax_cpu_percent: 100\nmax_memory_percent: 100\n`;
    writeFileSync(cfg, yaml(1));
    const port = await freePort();
    const proc = spawn(process.execPath, [BIN, 'serve', '--config', cfg, '--port', String(port), '--log.format', 'json'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    after(() => void (proc.exitCode === null && proc.kill('SIGKILL')));
    const lines: Raw[] = [];
    let buf = '';
    proc.stdout.on('data', (b: Buffer) => {
      buf += b.toString('utf8');
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const l of parts) if (l.startsWith('{')) lines.push(JSON.parse(l) as Raw);
    });
    const masked = () =>
      lines.filter((l) => /^port: \d+ in the config file is masked by --web\.listen-address\/--port/.test(String(l.msg)));
    await until('listening', async () => lines.some((l) => /^selfheal listening/.test(String(l.msg))));
    assert.equal(masked().length, 1);
    assert.equal(masked()[0].msg, `port: 1 in the config file is masked by --web.listen-address/--port (${port})`);
    assert.equal(masked()[0].level, 'warn');
    writeFileSync(cfg, yaml(2));
    proc.kill('SIGHUP');
    await until('reloaded', async () => lines.some((l) => l.msg === 'Completed loading of configuration file'));
    assert.equal(masked().at(-1)?.msg, `port: 2 in the config file is masked by --web.listen-address/--port (${port})`);
    assert.ok((await fetch(`http://127.0.0.1:${port}/-/healthy`)).ok, 'still on the flag’s port');
    proc.kill('SIGTERM');
  });
});
