// Issue 25, the journal's integrity: its write-ahead log removed under a running `selfheal serve`
// (then kill -9), and a journal that is empty or another one where selfheal ran before.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ConfigError } from '../../src/config/load';
import { SqliteJournal } from '../../src/execute/journal';
import { IDENTITY_FILE } from '../../src/execute/journal_files';
import { tempDir } from '../helpers/fs';
import { call, serveChild } from '../helpers/hostile';
import { BIN, until } from '../helpers/process';
import { delivery } from '../helpers/receiver';

const HOOK = { authorization: 'Bearer hook' };
const recordOnly = (fp: string) =>
  JSON.stringify(delivery([{ labels: { subsystem: 'logging', issue_severity: 'none' }, fingerprint: fp }]));

describe('the journal write-ahead log removed while running, then kill -9', () => {
  it('nothing acknowledged is lost: what was recorded before is saved, nothing is acknowledged after; 503, not ready, paged', async (t) => {
    const extra = { receiver: { bearer_token: 'hook' }, recovery: { local: false } };
    const s = await serveChild(extra);
    const journal = join(s.root, 'data', 'selfheal_journal.db');
    assert.ok(existsSync(`${journal}-wal`));
    // 8 clients deliver without pause; the WAL is removed while they do.
    const answers = new Map<string, number>();
    let seq = 0;
    let removedAt = -1;
    let refusedAfter = 0;
    const posters = Array.from({ length: 8 }, async () => {
      while (refusedAfter < 100) {
        const fp = `wal${seq++}`;
        const r = await call(s.url, 'POST', '/alertmanager/webhook', recordOnly(fp), HOOK);
        answers.set(fp, r.status);
        if (removedAt >= 0 && r.status !== 200) refusedAfter++;
        if (removedAt < 0 && [...answers.values()].filter((x) => x === 200).length >= 400) {
          removedAt = seq;
          rmSync(`${journal}-wal`);
        }
      }
    });
    await Promise.all(posters);
    const ok = [...answers].filter(([, st]) => st === 200).map(([fp]) => fp);
    const other = new Set([...answers.values()].filter((st) => st !== 200));
    assert.deepEqual([...other], [503], 'refused with 503 only (Alertmanager retries)');
    const late = ok.filter((fp) => Number(fp.slice(3)) >= removedAt);
    assert.deepEqual(late, [], 'nothing sent after the removal was acknowledged');
    const ready = await call(s.url, 'GET', '/-/ready');
    assert.equal(ready.status, 503);
    assert.match(ready.body, /journal write-ahead log .*selfheal_journal\.db-wal was removed while running/);
    assert.match(s.logs(), /the journal lost its write-ahead log: what was recorded is saved in the database file/);
    await until('the page: selfheal_recovery_journal_problem', async () =>
      /^selfheal_recovery_journal_problem\{problem="removed"\} 1$/m.test((await call(s.url, 'GET', '/metrics')).body),
    );
    assert.equal((await call(s.url, 'GET', '/policy')).status, 200, '/policy keeps serving');

    s.proc.kill('SIGKILL');
    await once(s.proc, 'exit');
    const again = await serveChild(extra, { root: s.root });
    const history = JSON.parse((await call(again.url, 'GET', '/recovery/history?limit=1000')).body) as { fingerprint: string }[];
    const kept = new Set(history.map((r) => r.fingerprint));
    const lost = ok.filter((fp) => !kept.has(fp));
    t.diagnostic(
      `${ok.length} acknowledged (${removedAt} sent before the removal), ${answers.size - ok.length} refused 503; after kill -9: ${kept.size} in the journal, ${lost.length} lost`,
    );
    assert.deepEqual(lost, [], 'every acknowledged alert is in the journal after the restart');
    assert.equal((await call(again.url, 'GET', '/-/ready')).status, 200);
    assert.equal((await call(again.url, 'POST', '/alertmanager/webhook', recordOnly('after-restart'), HOOK)).status, 200);
  });
});

describe('a journal that is not the one selfheal ran on is refused at start (exit 3)', () => {
  /** A journal directory as a previous run left it: a journal with its identity file, and what else is named. */
  function previousRun(extra: string[] = []): { dir: string; path: string } {
    const dir = tempDir();
    const path = join(dir, 'selfheal_journal.db');
    new SqliteJournal(path).close();
    for (const f of extra) writeFileSync(join(dir, f), '{"since":"2026-11-29T12:00:00Z","reasons":["drill"]}\n');
    return { dir, path };
  }
  const cases: [string, () => string, RegExp][] = [
    [
      'the journal gone, its identity file still there',
      () => {
        const { path } = previousRun();
        for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
        return path;
      },
      /does not exist, but .*selfheal_identity\.json say selfheal ran here before/,
    ],
    [
      'no journal and no identity file, but the emergency_shutdown latch',
      () => {
        const dir = tempDir();
        writeFileSync(join(dir, 'selfheal_latch.json'), '{"since":"2026-11-29T12:00:00Z","reasons":["drill"]}\n');
        return join(dir, 'selfheal_journal.db');
      },
      /does not exist, but .*selfheal_latch\.json say selfheal ran here before/,
    ],
    [
      'a database file that opened empty (its tables were only in a lost -wal)',
      () => {
        const { path } = previousRun(['selfheal_maintenance.json']);
        for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
        const db = new Database(path);
        db.pragma('user_version = 1'); // a valid SQLite file, no tables
        db.close();
        return path;
      },
      /holds no journal \(it opened empty\), but .*selfheal_identity\.json, .*selfheal_maintenance\.json say selfheal ran here before/,
    ],
    [
      'another journal copied over this one',
      () => {
        const mine = previousRun();
        const theirs = previousRun();
        copyFileSync(theirs.path, mine.path);
        rmSync(`${mine.path}-wal`, { force: true });
        rmSync(`${mine.path}-shm`, { force: true });
        return mine.path;
      },
      /is journal [0-9a-f-]{36}, but .*selfheal_identity\.json names journal [0-9a-f-]{36} .*replaced by another journal/,
    ],
    [
      'an unreadable identity file',
      () => {
        const { dir, path } = previousRun();
        writeFileSync(join(dir, IDENTITY_FILE), 'garbage');
        return path;
      },
      /selfheal_identity\.json is unreadable/,
    ],
  ];
  for (const [name, make, why] of cases) {
    it(name, () => {
      const path = make();
      assert.throws(
        () => new SqliteJournal(path),
        (err: Error) => {
          assert.ok(err instanceof ConfigError, err.message);
          assert.match(err.message, /^recovery\.journal_path: /);
          assert.match(err.message, why);
          return true;
        },
      );
      // Refused without writing anything: the next start refuses the same way.
      assert.throws(() => new SqliteJournal(path), why);
    });
  }

  it('selfheal serve exits 3 with the message; starting afresh on purpose is moving the named files away', () => {
    const root = tempDir();
    const data = join(root, 'data');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'selfheal_latch.json'), '{"since":"2026-11-29T12:00:00Z","reasons":["drill"]}\n');
    writeFileSync(join(root, 'selfheal.yml'), `data_dir: ${JSON.stringify(data)}\nport: 0\n`);
    const run = () =>
      spawnSync(process.execPath, [BIN, 'serve', '--config', join(root, 'selfheal.yml'), '--log-level', 'warn'], {
        encoding: 'utf8',
        timeout: 60_000,
        killSignal: 'SIGKILL',
      });
    const refused = run();
    assert.equal(refused.status, 3, refused.stderr);
    assert.match(refused.stderr, /selfheal_latch\.json say selfheal ran here before/);
    assert.match(
      refused.stderr,
      /To start afresh on purpose, stop selfheal and move away .*selfheal_journal\.db\*, .*selfheal_latch\.json/,
    );
    assert.ok(!existsSync(join(data, 'selfheal_journal.db')), 'no journal created by the refused start');
    renameSync(join(data, 'selfheal_latch.json'), join(root, 'latch.moved'));
    const fresh = new SqliteJournal(join(data, 'selfheal_journal.db'));
    fresh.close();
    const id = JSON.parse(readFileSync(join(data, IDENTITY_FILE), 'utf8')) as { journal_id: string };
    assert.match(id.journal_id, /^[0-9a-f-]{36}$/);
    // The identity file alone lost: the journal still names itself, and the file is written again.
    rmSync(join(data, IDENTITY_FILE));
    new SqliteJournal(join(data, 'selfheal_journal.db')).close();
    assert.equal((JSON.parse(readFileSync(join(data, IDENTITY_FILE), 'utf8')) as { journal_id: string }).journal_id, id.journal_id);
  });
});
