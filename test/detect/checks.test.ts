import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import fsPromises from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import type { AddressInfo } from 'node:net';
import { defaultConfig } from '../../src/config/load';
import { checkSubsystem, checkWithRetries } from '../../src/detect/run';
import type { SubsystemConfig } from '../../src/config/types';
import { NOW, clockAt, tempDir, writeAged } from '../helpers/fs';
import { configIn } from '../helpers/config';

function setup(extra: Record<string, unknown> = {}) {
  const root = tempDir();
  const config = configIn(root, extra);
  const sub = (name: string): SubsystemConfig => config.subsystems.find((s) => s.name === name)!;
  const result = (name: string, now = NOW) => checkSubsystem(sub(name), clockAt(now), undefined, { maxSkewMs: 30_000 });
  const check = async (name: string, now = NOW) => (await result(name, now)).health;
  return { root, data: join(root, 'data'), config, sub, check, result };
}

describe('data_feed (universe snapshot)', () => {
  const snapshot = JSON.stringify({ symbols: ['BTCUSDT', 'ETHUSDT'] });
  const table: [number, string][] = [
    [299, 'healthy'],
    [301, 'degraded'],
    [3599, 'degraded'],
    [3601, 'critical'],
  ];
  for (const [age, want] of table) {
    it(`${age}s old → ${want}`, async () => {
      const t = setup();
      writeAged(join(t.data, 'universe_snapshot.json'), snapshot, age);
      const h = await t.check('data_feed');
      assert.equal(h.status, want);
      assert.equal(h.details.symbols_count, 2);
    });
  }
  it('follows stale_data_threshold_sec (180 s: 179 healthy, 181 degraded)', async () => {
    const t = setup({ stale_data_threshold_sec: 180 });
    writeAged(join(t.data, 'universe_snapshot.json'), snapshot, 179);
    assert.equal((await t.check('data_feed')).status, 'healthy');
    writeAged(join(t.data, 'universe_snapshot.json'), snapshot, 181);
    assert.equal((await t.check('data_feed')).status, 'degraded');
  });
  it('missing file → degraded', async () => assert.equal((await setup().check('data_feed')).status, 'degraded'));
  it('empty symbols → critical even when fresh', async () => {
    const t = setup();
    writeAged(join(t.data, 'universe_snapshot.json'), '{"symbols": []}', 1);
    const h = await t.check('data_feed');
    assert.equal(h.status, 'critical');
    assert.equal(h.details.error, 'No symbols');
  });
  it('no symbols key → critical', async () => {
    const t = setup();
    writeAged(join(t.data, 'universe_snapshot.json'), '{}', 1);
    assert.equal((await t.check('data_feed')).status, 'critical');
  });
  it('corrupt JSON → no evidence: unknown (never failed) with the error in details', async () => {
    const t = setup();
    writeAged(join(t.data, 'universe_snapshot.json'), '{"symbols": [', 1);
    const h = await t.check('data_feed');
    assert.equal(h.status, 'unknown');
    assert.match(String(h.details.error), /corrupt JSON/);
    assert.equal(h.error_count, 1);
  });
});

describe('exchange_connection and generic state files', () => {
  for (const name of [
    'exchange_connection',
    'orchestrator',
    'portfolio_balancer',
    'model_supervisor',
    'retraining_orchestrator',
    'position_monitor',
    'risk_guard',
    'universe_os',
  ]) {
    it(`${name}: 299 healthy, 301 degraded, 3601 critical, missing unknown`, async () => {
      const t = setup();
      const spec = t.sub(name).check;
      assert.equal(spec.type, 'file_freshness');
      const path = (spec as { path: string }).path;
      assert.equal((await t.check(name)).status, 'unknown');
      for (const [age, want] of [
        [299, 'healthy'],
        [301, 'degraded'],
        [3601, 'critical'],
      ] as const) {
        writeAged(path, '{}', age);
        assert.equal((await t.check(name)).status, want, `${age}s`);
      }
    });
  }
  it('the risk guard watches risk_state.db', async () => {
    const t = setup();
    assert.equal((t.sub('risk_guard').check as { path: string }).path, join(t.data, 'risk_state.db'));
  });
});

describe('event_executor (last_cycle_timestamp)', () => {
  const at = (ageSec: number, suffix = 'Z') =>
    JSON.stringify({ last_cycle_timestamp: new Date(NOW - ageSec * 1000).toISOString().replace('Z', suffix) });
  const table: [number, string][] = [
    [59, 'healthy'],
    [61, 'degraded'],
    [299, 'degraded'],
    [301, 'critical'],
  ];
  for (const [age, want] of table) {
    it(`last cycle ${age}s ago → ${want}`, async () => {
      const t = setup();
      // The file's mtime is fresh: the heartbeat inside it is what counts.
      writeAged(join(t.data, 'event_executor_state.json'), at(age), 0);
      assert.equal((await t.check('event_executor')).status, want);
    });
  }
  it('a timestamp without offset is UTC', async () => {
    const t = setup();
    writeAged(join(t.data, 'event_executor_state.json'), at(61, ''), 0);
    assert.equal((await t.check('event_executor')).status, 'degraded');
    writeAged(join(t.data, 'event_executor_state.json'), at(59, ''), 0);
    assert.equal((await t.check('event_executor')).status, 'healthy');
  });
  it('an explicit offset is honoured', async () => {
    const t = setup();
    const local = new Date(NOW - 30_000 + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    writeAged(join(t.data, 'event_executor_state.json'), JSON.stringify({ last_cycle_timestamp: local }), 0);
    assert.equal((await t.check('event_executor')).status, 'healthy');
  });
  it('missing file → unknown; missing key → unknown', async () => {
    const t = setup();
    assert.equal((await t.check('event_executor')).status, 'unknown');
    writeAged(join(t.data, 'event_executor_state.json'), '{"other": 1}', 0);
    assert.equal((await t.check('event_executor')).status, 'unknown');
  });
  it('garbage timestamp, corrupt file or a date beyond the skew → no evidence (unknown, never failed), by reason', async () => {
    const t = setup();
    for (const [text, reason] of [
      ['{"last_cycle_timestamp": "yesterday"}', 'bad_date'],
      ['\u0000\u0001garbage', 'torn'],
      ['[1, 2]', 'torn'],
      [JSON.stringify({ last_cycle_timestamp: '2099-01-01T00:00:00Z' }), 'future'],
      [JSON.stringify({ last_cycle_timestamp: new Date(NOW + 45_000).toISOString() }), 'future'],
    ]) {
      writeAged(join(t.data, 'event_executor_state.json'), text, 0);
      const r = await t.result('event_executor');
      assert.equal(r.health.status, 'unknown', text);
      assert.equal(r.invalid, reason, text);
    }
    // At the boundary (max_clock_skew_sec 30): up to exactly 30 s ahead is fresh evidence; a millisecond more is not.
    for (const [aheadMs, status, invalid] of [
      [29_000, 'healthy', undefined],
      [30_000, 'healthy', undefined],
      [30_001, 'unknown', 'future'],
    ] as const) {
      writeAged(
        join(t.data, 'event_executor_state.json'),
        JSON.stringify({ last_cycle_timestamp: new Date(NOW + aheadMs).toISOString() }),
        0,
      );
      const r = await t.result('event_executor');
      assert.deepEqual([r.health.status, r.invalid], [status, invalid], `${aheadMs} ms ahead`);
    }
  });
});

describe('ai_model files', () => {
  const all = ['xgb_model.pkl', 'lgbm_model.pkl', 'nhits_model.pth', 'patchtst_model.pth'];
  for (const [n, want] of [
    [4, 'healthy'],
    [3, 'healthy'],
    [2, 'degraded'],
    [1, 'critical'],
    [0, 'critical'],
  ] as const) {
    it(`${n} model files → ${want}`, async () => {
      const t = setup();
      for (const f of all.slice(0, n)) writeAged(join(t.root, 'models', f), 'm', 10);
      const h = await t.check('ai_model');
      assert.equal(h.status, want);
      assert.equal(h.details.total, n);
    });
  }
});

describe('database', () => {
  it('missing → critical; present → healthy with size', async () => {
    const t = setup();
    assert.equal((await t.check('database')).status, 'critical');
    writeAged(join(t.root, 'db', 'quantum_trader.db'), 'x'.repeat(2 * 1024 * 1024), 10);
    const h = await t.check('database');
    assert.equal(h.status, 'healthy');
    assert.equal(h.details.size_mb, 2);
  });
});

describe('logging (newest *.log)', () => {
  for (const [age, want] of [
    [59, 'healthy'],
    [61, 'degraded'],
    [299, 'degraded'],
    [301, 'critical'],
  ] as const) {
    it(`newest log ${age}s old → ${want}`, async () => {
      const t = setup();
      writeAged(join(t.root, 'logs', 'old.log'), 'x', 5000);
      writeAged(join(t.root, 'logs', 'app.log'), 'x', age);
      writeAged(join(t.root, 'logs', 'newer.txt'), 'x', 0); // not a *.log
      assert.equal((await t.check('logging')).status, want);
    });
  }
  it('no log dir → degraded; no logs → degraded', async () => {
    const t = setup();
    assert.equal((await t.check('logging')).status, 'degraded');
    mkdirSync(join(t.root, 'logs'));
    assert.equal((await t.check('logging')).status, 'degraded');
  });
});

describe('generic check types', () => {
  it('http: expected status healthy, other status critical, unreachable critical', async () => {
    const srv = createServer((req, res) => {
      res.statusCode = req.url === '/ok' ? 200 : 503;
      res.end('x');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    try {
      const t = setup({
        subsystems: {
          api_ok: { check: 'http', url: `http://127.0.0.1:${port}/ok` },
          api_bad: { check: 'http', url: `http://127.0.0.1:${port}/bad` },
          api_503_expected: { check: 'http', url: `http://127.0.0.1:${port}/bad`, expect_status: 503 },
        },
      });
      assert.equal((await t.check('api_ok')).status, 'healthy');
      assert.equal((await t.check('api_bad')).status, 'critical');
      assert.equal((await t.check('api_503_expected')).status, 'healthy');
    } finally {
      srv.close();
    }
    const t = setup({ subsystems: { gone: { check: 'http', url: `http://127.0.0.1:${port}/ok` } } });
    assert.equal((await t.check('gone')).status, 'critical');
  });
  it('tcp: listening healthy, closed port critical', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    const t = setup({ subsystems: { gw: { check: 'tcp', host: '127.0.0.1', port } } });
    assert.equal((await t.check('gw')).status, 'healthy');
    await new Promise((r) => srv.close(r));
    assert.equal((await t.check('gw')).status, 'critical');
  });
  it('json_timestamp for a subsystem of your own, with your thresholds', async () => {
    const t = setup({
      subsystems: {
        hedger: { check: 'json_timestamp', path: 'hedger.json', field: 'beat', degraded_after_sec: 10, critical_after_sec: 20 },
      },
    });
    writeAged(join(t.data, 'hedger.json'), JSON.stringify({ beat: new Date(NOW - 11_000).toISOString() }), 0);
    assert.equal((await t.check('hedger')).status, 'degraded');
  });
  it('a check that hangs times out (no evidence: unknown, reason timeout) without delaying the others', async () => {
    const srv = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    try {
      const t = setup({ subsystems: { slow: { check: 'http', url: `http://127.0.0.1:${port}/`, timeout_sec: 0.2 } } });
      writeFileSync(join(t.root, 'x'), '');
      const [slow, db, raw] = await Promise.all([t.check('slow'), t.check('database'), t.result('slow')]);
      assert.equal(slow.status, 'unknown');
      assert.equal(raw.invalid, 'timeout');
      assert.match(String(slow.details.error), /timed out after 0.2s/);
      assert.equal(db.status, 'critical');
      assert.ok(db.response_time_ms < slow.response_time_ms);
    } finally {
      srv.closeAllConnections();
      srv.close();
    }
  });
  it('an unreadable path (a directory where a file is expected) → unknown (no evidence), not an exception', async () => {
    const t = setup();
    mkdirSync(join(t.data, 'event_executor_state.json'), { recursive: true });
    const h = await t.check('event_executor');
    assert.equal(h.status, 'unknown');
    assert.equal((await t.result('event_executor')).invalid, 'unreadable');
    assert.match(String(h.details.error), /EISDIR/);
  });
});

describe('one-shot checking retries an erroring check within its timeout (selfheal check)', () => {
  const sub = (root: string) => defaultConfig({ data_dir: join(root, 'data') }).subsystems.find((s) => s.name === 'event_executor')!;
  const table: [string, string[], string][] = [
    [
      'a torn read, then the complete file: not failed',
      ['{"last_cycle_timest', JSON.stringify({ last_cycle_timestamp: new Date(NOW).toISOString() })],
      'healthy',
    ],
    [
      'two torn reads, then the file: not failed',
      ['{"last', '{"last_cycle', JSON.stringify({ last_cycle_timestamp: new Date(NOW).toISOString() })],
      'healthy',
    ],
    ['persistently corrupt: unknown (no evidence), never failed', ['{corrupt', '{corrupt', '{corrupt', '{corrupt'], 'unknown'],
  ];
  for (const [name, reads, status] of table) {
    it(name, async () => {
      const root = tempDir();
      writeAged(join(root, 'data', 'event_executor_state.json'), reads[0], 0);
      const real = fsPromises.readFile;
      let n = 0;
      (fsPromises as { readFile: unknown }).readFile = async () => reads[Math.min(n++, reads.length - 1)];
      try {
        const r = await checkWithRetries(sub(root), clockAt(NOW), { attempts: 3, pauseMs: 1 });
        assert.equal(r.health.status, status);
        assert.equal(n, status === 'unknown' ? 3 : reads.length);
      } finally {
        (fsPromises as { readFile: unknown }).readFile = real;
      }
    });
  }
});

describe("a check timer that fires far too late is selfheal's overload, not the platform's", () => {
  it('blocked event loop → selfFault overload; a plain timeout → an ordinary error', async () => {
    const server = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    after(() => server.close());
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    const spec = defaultConfig({ subsystems: { hang: { check: 'http', url, timeout_sec: 1 } } }).subsystems.find((s) => s.name === 'hang')!;
    const plain = await checkSubsystem(spec, Date.now);
    assert.equal(plain.errored, true);
    assert.equal(plain.selfFault, undefined);
    const pending = checkSubsystem(spec, Date.now);
    const until = Date.now() + 2600;
    while (Date.now() < until) {
      /* our own event loop, blocked: the 1 s timer fires 1.6 s late */
    }
    const late = await pending;
    assert.equal(late.selfFault, 'overload');
    assert.match(String(late.health.details.error), /overloaded/);
    server.closeAllConnections();
  });
});
