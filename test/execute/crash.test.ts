// Kill the process mid-batch and restart: nothing recorded is lost and nothing runs twice.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteJournal } from '../../src/execute/journal';
import { tempDir, writeAged } from '../helpers/fs';
import { healthyPlatform } from '../helpers/platform';
import { BIN, freePort, ready, serve, until } from '../helpers/process';
import { delivery, postHook } from '../helpers/receiver';

interface Rec {
  fingerprint: string;
  state: string;
  reason: string;
  started_at: number | null;
}

describe('receiver crash safety', () => {
  it('an action running at SIGKILL is never re-run blindly; recorded ones run after restart; nothing is lost', async () => {
    const root = tempDir();
    healthyPlatform(root, Date.now());
    writeAged(join(root, 'data', 'orchestrator_state.json'), '{}', 4000, Date.now());
    const marker = join(root, 'starts.log');
    const port = await freePort();
    const slow = `require('fs').appendFileSync(${JSON.stringify(marker)}, process.env.SELFHEAL_FINGERPRINT + '\\n'); setTimeout(() => {}, 30000)`;
    const cfg = join(root, 'selfheal.yml');
    writeFileSync(
      cfg,
      [
        'data_dir: data',
        'log_dir: logs',
        'models_dir: models',
        'database_path: db/quantum_trader.db',
        `port: ${port}`,
        'max_cpu_percent: 100',
        'max_memory_percent: 100',
        'receiver: { bearer_token: hook-token }',
        'recovery:',
        '  local: false',
        '  settle_sec: 0',
        '  handlers:',
        `    - { action: restart_subsystem, exec: ${JSON.stringify([process.execPath, '-e', slow])}, timeout_sec: 300 }`,
      ].join('\n') + '\n',
    );
    const url = `http://127.0.0.1:${port}`;
    const history = async () => (await (await fetch(`${url}/recovery/history`)).json()) as Rec[];
    const byFp = async () => Object.fromEntries((await history()).map((r) => [r.fingerprint, r]));

    let child = serve(cfg);
    after(() => child.kill('SIGKILL'));
    await ready(port);
    const batch = delivery([
      { labels: { subsystem: 'orchestrator', issue_severity: 'critical' }, fingerprint: 'o1' },
      { labels: { subsystem: 'orchestrator', issue_severity: 'critical' }, fingerprint: 'o2', startsAt: '2026-11-29T12:01:00Z' },
      { labels: { subsystem: 'ai_model', issue_severity: 'critical' }, fingerprint: 'a1' },
      { labels: { subsystem: 'logging', issue_severity: 'medium' }, fingerprint: 'l1' },
    ]);
    assert.equal((await postHook(url, batch)).body.recorded, 4);
    await until('o1 running', async () => (await byFp()).o1?.state === 'running');
    const before = await byFp();
    assert.equal(before.o2.state, 'recorded', 'one action at a time per subsystem');
    child.kill('SIGKILL');
    await once(child, 'exit');

    child = serve(cfg);
    await ready(port);
    await until('o2 started after the restart', async () => (await byFp()).o2?.state === 'running');
    const now = await byFp();
    assert.equal(Object.keys(now).length, 4, 'nothing recorded was lost');
    assert.equal(now.o1.state, 'pending_approval');
    assert.match(now.o1.reason, /interrupted by a restart/);
    assert.equal(now.a1.state, 'succeeded');
    assert.equal(now.a1.started_at, before.a1.started_at, 'a1 ran once, before the kill');
    assert.equal(now.l1.state, 'pending_approval');
    assert.deepEqual(readFileSync(marker, 'utf8').trim().split('\n'), ['o1', 'o2'], 'o1 started once, o2 once');
    const again = await postHook(url, batch);
    assert.deepEqual(again.body, { received: 4, recorded: 0, deduplicated: 4 });
    child.kill('SIGTERM');
    await once(child, 'exit');
  });

  it('kill -9 while a pause_trading handler runs: after the restart the floor is back at once (fail closed)', async () => {
    const root = tempDir();
    healthyPlatform(root, Date.now());
    const held: ServerResponse[] = [];
    const target = createServer((req, res) => {
      req.resume();
      held.push(res);
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    after(() => {
      for (const r of held) r.destroy();
      target.close();
    });
    const port = await freePort();
    const cfg = join(root, 'selfheal.yml');
    writeFileSync(
      cfg,
      [
        'data_dir: data',
        'log_dir: logs',
        'models_dir: models',
        'database_path: db/quantum_trader.db',
        `port: ${port}`,
        'max_cpu_percent: 100',
        'max_memory_percent: 100',
        'policy: { hold_down_sec: 0 }',
        'receiver: { bearer_token: hook-token }',
        'recovery:',
        '  handlers:',
        `    - { action: pause_trading, http: { url: "http://127.0.0.1:${(target.address() as AddressInfo).port}/pause" }, timeout_sec: 300 }`,
      ].join('\n') + '\n',
    );
    const url = `http://127.0.0.1:${port}`;
    const policy = async () => ((await (await fetch(`${url}/policy`)).json()) as { policy: string }).policy;
    const pause = async () => ((await (await fetch(`${url}/recovery/history`)).json()) as Rec[])[0];
    let child = serve(cfg);
    after(() => child.kill('SIGKILL'));
    await ready(port);
    await postHook(url, delivery([{ labels: { subsystem: 'data_feed', issue_severity: 'critical' }, fingerprint: 'df' }]));
    await until('the pause handler is running', async () => held.length === 1 && (await pause()).state === 'running');
    assert.equal(await policy(), 'no_new_trades');
    child.kill('SIGKILL');
    await once(child, 'exit');

    child = serve(cfg);
    await ready(port);
    assert.equal(await policy(), 'no_new_trades', 'the floor is re-imposed before the service is ready');
    assert.match((await pause()).reason, /interrupted by a restart: protective, floor re-imposed and re-applied/);
    await until('the pause handler runs again', async () => held.length === 2);
    held[1].end('paused');
    await until('the re-applied pause succeeded', async () => (await pause()).state === 'succeeded');
    assert.equal(await policy(), 'no_new_trades', 'the alert still fires');
    child.kill('SIGTERM');
    await once(child, 'exit');
  });

  it('a journal that is not a database: serve exits 3 naming the path, even with the demo on', () => {
    const root = tempDir();
    mkdirSync(join(root, 'data'), { recursive: true });
    const journal = join(root, 'data', 'selfheal_journal.db');
    writeFileSync(journal, 'garbage garbage garbage garbage garbage garbage garbage garbage\n');
    const cfg = join(root, 'selfheal.yml');
    writeFileSync(
      cfg,
      [
        'data_dir: data',
        'log_dir: logs',
        'models_dir: models',
        'database_path: db/quantum_trader.db',
        'port: 0',
        'demo: { enabled: true }',
      ].join('\n') + '\n',
    );
    const r = spawnSync(process.execPath, [BIN, 'serve', '--config', cfg], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 3, r.stderr);
    assert.ok(r.stderr.includes(journal), r.stderr);
    assert.match(r.stderr, /not a SQLite database/);
    assert.doesNotMatch(r.stderr, /SqliteError| {4}at /, 'no stack trace');
  });
});

describe('an upgrade mid-incident: a journal from before floor_at', () => {
  it('the floors its protective actions held are found again; the rest are not floors', () => {
    const path = join(tempDir(), 'selfheal_journal.db');
    // The table as the first release wrote it (no floor_at, floor_cleared_at, handler_pgid, evidence).
    const old = new Database(path);
    old.exec(`CREATE TABLE actions (
      id TEXT PRIMARY KEY, dedup_key TEXT NOT NULL UNIQUE, alertname TEXT NOT NULL, fingerprint TEXT NOT NULL,
      starts_at TEXT NOT NULL, status TEXT NOT NULL, subsystem TEXT, action TEXT, issue_severity TEXT, labels TEXT NOT NULL,
      state TEXT NOT NULL, reason TEXT NOT NULL, not_before INTEGER, expires_at INTEGER, verify_at INTEGER, before_status TEXT,
      approved INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, started_at INTEGER,
      finished_at INTEGER, outcome TEXT, detail TEXT)`);
    const add = old.prepare(
      `INSERT INTO actions (id, dedup_key, alertname, fingerprint, starts_at, status, subsystem, action, labels, state, reason, created_at, updated_at, started_at)
       VALUES (?, ?, 'A', ?, '2026-11-29T12:00:00Z', ?, 'data_feed', ?, '{}', ?, 'r', 1000, 2000, 1500)`,
    );
    // [id, fingerprint, status, action, state]
    const rows: [string, string, string, string, string][] = [
      ['paused', 'f1', 'firing', 'pause_trading', 'succeeded'],
      ['pause-failed', 'f2', 'firing', 'pause_trading', 'failed'],
      ['pause-resolved', 'f3', 'firing', 'pause_trading', 'succeeded'],
      ['pause-resolved-r', 'f3', 'resolved', null as unknown as string, 'resolved'],
      ['restarted', 'f4', 'firing', 'restart_subsystem', 'succeeded'],
      ['pause-rejected', 'f5', 'firing', 'pause_trading', 'rejected'],
    ];
    for (const [id, fp, status, action, state] of rows) add.run(id, id, fp, status, action, state);
    old.close();
    const j = new SqliteJournal(path);
    try {
      assert.deepEqual(
        j
          .floored()
          .map((r) => r.id)
          .sort(),
        ['pause-failed', 'paused'],
      );
      assert.equal(j.get('paused')?.floor_at, 1500, 'since it ran');
    } finally {
      j.close();
    }
  });
});
