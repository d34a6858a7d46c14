// Issue 12, hostile requests: cross-site POSTs, bodies nobody should read, trickling bodies,
// too many connections, SSE subscribers that never read, and the pre-encoded /policy.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { checkSubsystem } from '../../src/detect/run';
import { describe, it } from 'node:test';
import { NOW, clockAt, tempDir, writeAged } from '../helpers/fs';
import { configIn } from '../helpers/config';
import { healthyPlatform } from '../helpers/platform';
import { until } from '../helpers/process';
import { delivery, startWithReceiver } from '../helpers/receiver';
import { getJson, post, startService } from '../helpers/service';

function setup(extra: Record<string, unknown> = {}) {
  const root = tempDir();
  let now = NOW;
  healthyPlatform(root, now);
  const config = configIn(root, { policy: { hold_down_sec: 0 }, ...extra });
  return { config, clock: () => now, advance: (sec: number) => (now += sec * 1000) };
}

/** A raw loopback connection: what a hostile client does, byte by byte. */
async function raw(url: string): Promise<{ sock: Socket; text: () => string; closed: Promise<void> }> {
  const { port } = new URL(url);
  const sock = connect(Number(port), '127.0.0.1');
  await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
  let got = '';
  sock.on('data', (b: Buffer) => (got += b.toString('latin1')));
  sock.on('error', () => undefined);
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  return { sock, text: () => got, closed };
}

describe('cross-site and content type', () => {
  it('a text/plain POST (no CORS preflight) is refused unread: 403 from another origin, 415 from none; nothing acts', async () => {
    const t = setup({ receiver: { bearer_token: null } }); // no token: loopback callers pass — the browser case
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    const table: [Record<string, string>, number, RegExp][] = [
      [{ origin: 'http://evil.example' }, 403, /cross-origin request refused: Origin "http:\/\/evil.example" does not match Host/],
      [{}, 415, /Content-Type: expected application\/json/],
    ];
    for (const path of ['/alertmanager/webhook', '/policy/override', '/health/force-check', '/recovery/x/approve']) {
      for (const [headers, status, error] of table) {
        const res = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain', ...headers },
          body: JSON.stringify(delivery([{ labels: { subsystem: 'orchestrator', issue_severity: 'critical' } }])),
        });
        assert.equal(res.status, status, path);
        assert.equal(res.headers.get('connection'), 'close', path);
        assert.match(((await res.json()) as { error: string }).error, error);
      }
    }
    const bare = await fetch(`${url}/alertmanager/webhook`, { method: 'POST' }); // no-cors fetch: no content type at all
    assert.equal(bare.status, 415);
    assert.match(((await bare.json()) as { error: string }).error, /Content-Type: expected application\/json/);
    assert.equal(receiver.store.history(10).length, 0);
    const ok = await post(`${url}/alertmanager/webhook`, delivery([{ labels: { subsystem: 'ai_model', issue_severity: 'critical' } }]), {
      'content-type': 'application/json; charset=utf-8',
    });
    assert.equal(ok.status, 200);
  });
});

describe('bodies nobody should read', () => {
  it('an unauthenticated 10 GB body: answered 401 and the connection closed, the body not read', async () => {
    const t = setup({ receiver: { bearer_token: 'hook-token' } });
    const { url } = await startWithReceiver(t.config, { clock: t.clock });
    const c = await raw(url);
    c.sock.write(
      'POST /alertmanager/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n',
    );
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    let closed = false;
    void c.closed.then(() => (closed = true));
    // Bounded: at most 256 MiB is offered; the server must have hung up long before.
    while (!closed && sent < 256 * 1024 * 1024) {
      if (!c.sock.write(chunk))
        await Promise.race([new Promise((r) => c.sock.once('drain', r)), c.closed, new Promise((r) => setTimeout(r, 200))]);
      sent += chunk.length;
    }
    await c.closed;
    assert.match(c.text(), /^HTTP\/1\.1 401 /);
    assert.match(c.text(), /Connection: close/i);
    assert.ok(sent < 256 * 1024 * 1024, `the server kept reading (${sent} bytes offered)`);
  });

  it('a trickling body is closed within receiver.body_timeout_sec', async () => {
    const t = setup({ receiver: { bearer_token: 'hook-token', body_timeout_sec: 1 } });
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    const c = await raw(url);
    c.sock.write(
      'POST /alertmanager/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer hook-token\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n',
    );
    let sent = 0;
    let closed = false;
    void c.closed.then(() => (closed = true));
    const started = Date.now();
    // One byte every 100 ms: 100,000 bytes would take almost 3 hours; the bound is 60 s.
    while (!closed && Date.now() - started < 60_000) {
      c.sock.write(' ');
      sent++;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(closed, 'the trickle was still open after 60 s');
    assert.ok(sent < 100_000);
    assert.match(c.text(), /^HTTP\/1\.1 408 /);
    assert.equal(receiver.store.history(10).length, 0);
  });
});

describe('connection cap (api.max_connections)', () => {
  it('connections beyond the cap are refused; a freed one makes room', async () => {
    const t = setup({ api: { max_connections: 3 } });
    const { url } = await startService(t.config, { clock: t.clock });
    const held = [await raw(url), await raw(url), await raw(url)];
    const fourth = await raw(url);
    await fourth.closed; // Node closes a connection over server.maxConnections at once
    assert.equal(fourth.text(), '');
    held[0].sock.destroy();
    await held[0].closed;
    await until(
      'a free connection serves /policy',
      async () => {
        const c = await raw(url);
        c.sock.write('GET /policy HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
        await c.closed;
        return /^HTTP\/1\.1 200 /.test(c.text());
      },
      20_000,
    );
    for (const h of held) h.sock.destroy();
  });
});

describe('SSE backpressure', () => {
  it('a subscriber that never reads is dropped once it falls behind; reconnecting gets the current policy', async () => {
    const t = setup({ api: { token: 'op-token' } });
    const { url, svc } = await startService(t.config, { clock: t.clock });
    const slow = await raw(url);
    slow.sock.write('GET /policy/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await until('subscribed', async () => slow.text().includes('event: policy'), 20_000, 10);
    slow.sock.pause(); // never reads again
    const streams = svc.streams;
    assert.equal(streams.size, 1);
    const big = { filler: 'x'.repeat(256 * 1024) };
    // Bounded: at most 400 × 256 KiB are offered before the subscriber must have been dropped.
    for (let i = 0; i < 400 && streams.size > 0; i++) {
      (svc as unknown as { broadcast(e: string, d: unknown): void }).broadcast('refresh', big);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(streams.size, 0, 'the slow subscriber was dropped');
    slow.sock.resume();
    await slow.closed;
    await post(
      `${url}/policy/override`,
      { policy: 'no_new_trades', duration_sec: 600, reason: 'drill' },
      { authorization: 'Bearer op-token' },
    );
    const again = await raw(url);
    again.sock.write('GET /policy/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await until(
      'the current policy on connect',
      async () => /event: policy\ndata: \{"policy":"no_new_trades"/.test(again.text()),
      20_000,
      10,
    );
    again.sock.destroy();
  });
});

describe('GET /policy, /-/healthy, /-/ready from pre-encoded bytes', () => {
  it('the bytes are the policy view, refreshed on every policy and cycle change, valid_until right', async () => {
    const t = setup({ api: { token: 'op-token' }, policy: { hold_down_sec: 0, valid_for_sec: 30 } });
    const { url, svc } = await startService(t.config, { clock: t.clock });
    const get = async () => {
      const res = await fetch(`${url}/policy`);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
      return (await res.json()) as Record<string, unknown>;
    };
    assert.deepEqual(await get(), JSON.parse(JSON.stringify(svc.policy())));
    await post(
      `${url}/policy/override`,
      { policy: 'safe_risk_profile', duration_sec: 600, reason: 'drill' },
      { authorization: 'Bearer op-token' },
    );
    const p = await get();
    assert.equal(p.policy, 'safe_risk_profile');
    assert.deepEqual(p, JSON.parse(JSON.stringify(svc.policy())));
    t.advance(45);
    await post(`${url}/health/force-check`, {});
    const q = await get();
    assert.equal(q.timestamp, new Date(NOW + 45_000).toISOString());
    assert.equal(q.valid_until, new Date(NOW + 75_000).toISOString());
    await fetch(`${url}/policy/override`, { method: 'DELETE', headers: { authorization: 'Bearer op-token' } });
    assert.equal((await get()).policy, 'allow_all');
    assert.equal(await (await fetch(`${url}/-/healthy`)).text(), 'OK\n');
    const ready = await fetch(`${url}/-/ready`);
    assert.deepEqual([ready.status, await ready.text()], [200, 'Ready\n']);
    assert.equal((await getJson(`${url}/policy?x=1`)).body.policy, 'allow_all', 'other forms still route through Express');
  });
});

describe('evidence read bounded', () => {
  it('a universe snapshot over max_evidence_bytes is not read: no evidence (oversize), naming the limit', async () => {
    const root = tempDir();
    const config = configIn(root, { subsystems: { data_feed: { max_evidence_bytes: 1024 } } });
    const sub = config.subsystems.find((s) => s.name === 'data_feed')!;
    const path = join(root, 'data', 'universe_snapshot.json');
    writeAged(path, JSON.stringify({ symbols: Array.from({ length: 200 }, (_, i) => `SYM${i}USDT`) }), 1);
    const r = await checkSubsystem(sub, clockAt(NOW));
    const h = r.health;
    assert.equal(h.status, 'unknown');
    assert.equal(r.invalid, 'oversize');
    assert.match(String(h.details.error), /bytes, more than max_evidence_bytes \(1024\): not read/);
    writeAged(path, JSON.stringify({ symbols: ['BTCUSDT'] }), 1);
    assert.equal((await checkSubsystem(sub, clockAt(NOW))).health.status, 'healthy');
  });
});
