import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { PolicyClient, type PolicyView } from '../../src/client';
import { tempDir } from '../helpers/fs';
import { configIn } from '../helpers/config';
import { healthyPlatform } from '../helpers/platform';
import { getJson, post, startService } from '../helpers/service';
import { serveHealthy } from '../helpers/serve_cli';
import { freePort } from '../helpers/process';

function platform() {
  const root = tempDir();
  healthyPlatform(root, Date.now());
  return configIn(root, { policy: { hold_down_sec: 0, valid_for_sec: 30 }, api: { token: 'op' } });
}

/** Waits for the client's next change event whose policy satisfies `pred`. */
async function changeTo(client: PolicyClient, pred: (p: PolicyView) => boolean): Promise<PolicyView> {
  if (pred(client.current())) return client.current();
  for (;;) {
    const [p] = (await once(client, 'change')) as [PolicyView];
    if (pred(p)) return p;
  }
}

describe('PolicyClient', () => {
  it('follows the stream: a change reaches the bot as an event', async () => {
    const { url } = await startService(platform());
    const client = new PolicyClient({ baseUrl: url });
    client.on('error', () => undefined);
    client.start();
    try {
      await changeTo(client, (p) => p.policy === 'allow_all');
      assert.equal(client.canOpenPosition(), true);
      assert.deepEqual(client.limits(), { max_leverage: null, position_size_multiplier: 1 });
      await post(
        `${url}/policy/override`,
        { policy: 'safe_risk_profile', duration_sec: 60, reason: 'test' },
        { authorization: 'Bearer op' },
      );
      await changeTo(client, (p) => p.policy === 'safe_risk_profile');
      assert.deepEqual(client.limits(), { max_leverage: 5, position_size_multiplier: 0.5 });
      await post(`${url}/policy/override`, { policy: 'no_new_trades', duration_sec: 60, reason: 'test' }, { authorization: 'Bearer op' });
      await changeTo(client, (p) => p.policy === 'no_new_trades');
      assert.equal(client.canOpenPosition(), false);
    } finally {
      client.stop();
    }
  });

  it('directive helpers follow the served policy: canIncrease, canReduce, mustClose', async () => {
    const { url } = await startService(platform());
    const client = new PolicyClient({ baseUrl: url });
    client.on('error', () => undefined);
    client.start();
    const op = { authorization: 'Bearer op' };
    // policy → [canOpenPosition, canIncrease, canReduce, mustClose]
    const table: [string, [boolean, boolean, true, string]][] = [
      ['allow_all', [true, true, true, 'none']],
      ['safe_risk_profile', [true, true, true, 'none']],
      ['no_new_trades', [false, false, true, 'none']],
      ['defensive_exit', [false, false, true, 'high_risk']],
      ['emergency_shutdown', [false, false, true, 'all']],
    ];
    try {
      for (const [policy, want] of table) {
        if (policy !== 'allow_all') await post(`${url}/policy/override`, { policy, duration_sec: 60, reason: 'test' }, op);
        await changeTo(client, (p) => p.policy === policy);
        assert.deepEqual([client.canOpenPosition(), client.canIncrease(), client.canReduce(), client.mustClose()], want, policy);
      }
      assert.equal(client.current().manual_intervention_required, true);
      assert.deepEqual(client.highRisk(), { max_leverage: 5, tags: ['high_risk'] });
    } finally {
      client.stop();
    }
  });

  it('a killed real server: fails closed at once (long before valid_until), and follows it again once it is back', async () => {
    const svc = await serveHealthy(); // valid_for_sec: 60
    const client = new PolicyClient({ baseUrl: svc.url, pollIntervalMs: 200, reconnectMs: 200 });
    client.on('error', () => undefined);
    client.start();
    try {
      const first = await client.waitForPolicy(30_000);
      assert.ok(first && client.live(), "selfheal's first policy, before the first order");
      await client.waitFor((p) => p.policy === 'allow_all', 30_000);
      const validUntil = Date.parse(client.current().valid_until);
      const killed = Date.now();
      await svc.kill();
      const closed = await client.waitFor((p) => p.policy === 'no_new_trades', 30_000);
      const after = Date.now();
      console.log(`fail closed ${after - killed} ms after SIGKILL (valid_until was ${validUntil - killed} ms away)`);
      assert.ok(closed, 'no_new_trades');
      assert.ok(after < validUntil - 30_000, 'at once: not by the expiry of the last policy');
      assert.match(
        closed.reasons[0],
        /^selfheal unreachable since \S+ \(GET \/policy(\/stream)?: [A-Z_]+\): failing closed until it answers$/,
      );
      assert.deepEqual([client.canOpenPosition(), client.canIncrease(), client.canReduce(), client.live()], [false, false, true, false]);
      assert.deepEqual(client.limits(), { max_leverage: 0, position_size_multiplier: 0 });
      await svc.restart();
      assert.ok(await client.waitFor((p) => p.policy === 'allow_all', 30_000), 'back to the served policy once selfheal answers');
      assert.equal(client.live(), true);
    } finally {
      client.stop();
    }
  });

  it('fails closed once the last policy is older than valid_until, the service still up', async () => {
    let now = Date.now();
    const { url } = await startService(platform());
    const client = new PolicyClient({ baseUrl: url, clock: () => now, pollIntervalMs: 3_600_000, reconnectMs: 50 });
    client.on('error', () => undefined);
    client.start();
    try {
      await changeTo(client, (p) => p.policy === 'allow_all');
      assert.equal(client.canOpenPosition(), true, 'valid until valid_until');
      now = Date.parse(client.current().valid_until) + 1;
      const p = client.current();
      assert.equal(p.policy, 'no_new_trades');
      assert.equal(client.canOpenPosition(), false);
      assert.deepEqual(client.limits(), { max_leverage: 0, position_size_multiplier: 0 });
      assert.deepEqual([client.canIncrease(), client.canReduce(), client.mustClose()], [false, true, 'none'], 'exits stay allowed');
      assert.match(p.reasons[0], /^policy expired at \S+ \(valid_until\) with no word from selfheal since: failing closed$/);
    } finally {
      client.stop();
    }
  });

  it('never relaxes a stricter last-known policy when it expires', async () => {
    let now = Date.now();
    const { url, stop } = await startService(platform());
    const client = new PolicyClient({ baseUrl: url, clock: () => now });
    await post(
      `${url}/policy/override`,
      { policy: 'emergency_shutdown', duration_sec: 60, reason: 'test' },
      { authorization: 'Bearer op' },
    );
    await client.refresh();
    await stop();
    now += 3600_000;
    assert.equal(client.current().policy, 'emergency_shutdown');
    assert.equal(client.canOpenPosition(), false);
    assert.deepEqual([client.mustClose(), client.canReduce(), client.current().manual_intervention_required], ['all', true, true]);
  });

  it('with nothing reachable from the start, it refuses new positions', async () => {
    const client = new PolicyClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, pollIntervalMs: 20, reconnectMs: 20 });
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    client.start();
    try {
      assert.equal(client.canOpenPosition(), false);
      assert.equal(client.current().policy, 'no_new_trades');
      assert.deepEqual([client.canIncrease(), client.canReduce(), client.mustClose()], [false, true, 'none']);
      await assert.rejects(client.refresh());
      assert.match(client.current().reasons[0], /^selfheal unreachable since .* \(GET \/policy(\/stream)?: ECONNREFUSED\)/);
      assert.equal(await client.waitForPolicy(200), null, 'no first policy: the bot does not trade');
    } finally {
      client.stop();
    }
  });

  it("the service's stream cap refuses the stream while /policy answers: no lost contact, no flapping, Retry-After honoured", async () => {
    const config = platform();
    Object.assign(config.api, { max_streams: 1, max_streams_per_client: 1 });
    const { url } = await startService(config);
    // The one stream slot, taken by a subscriber that holds it.
    const holder = new AbortController();
    const held = await fetch(`${url}/policy/stream`, { signal: holder.signal });
    assert.equal(held.status, 200);
    const client = new PolicyClient({ baseUrl: url, pollIntervalMs: 50, reconnectMs: 20 });
    const errors: Error[] = [];
    const seen: string[] = [];
    client.on('error', (e: Error) => errors.push(e));
    client.on('change', (p: PolicyView) => seen.push(p.policy));
    client.start();
    try {
      // (Not changeTo: events.once rejects on the 'error' this test expects.)
      for (let i = 0; i < 500 && !(errors.length && client.current().policy === 'allow_all'); i++)
        await new Promise((r) => setTimeout(r, 10));
      assert.equal(client.current().policy, 'allow_all');
      assert.match(String(errors[0]), /GET \/policy\/stream: HTTP 503/);
      const from = seen.lastIndexOf('allow_all');
      // A second long — 50 reconnect intervals, 20 polls — then look: the poll keeps the view live, and no
      // reconnect came before the 503's Retry-After (10 s).
      for (let i = 0; i < 20; i++) {
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(client.current().policy, 'allow_all', `${i * 50} ms after the refusal`);
      }
      assert.deepEqual(seen.slice(from), ['allow_all'], 'never the fail-closed row in between');
      assert.equal(errors.length, 1, 'one refusal: the next try waits for Retry-After');
    } finally {
      client.stop();
      holder.abort();
    }
  });

  it('a poll answer asked before a stream event and answered after it does not overwrite it', async () => {
    const { url } = await startService(platform());
    const real = (await getJson(`${url}/policy`)).body;
    let client: PolicyClient | null = null;
    let stream: ServerResponse | null = null;
    const until = (cond: () => boolean, then: () => void) => {
      const tick = () => (cond() ? then() : setTimeout(tick, 5));
      tick();
    };
    let events = 0;
    const srv = createServer((req, res) => {
      if (req.url === '/policy/stream') {
        stream = res;
        return void res.writeHead(200, { 'content-type': 'text/event-stream' });
      }
      // Every poll is overtaken: while it is in flight the stream delivers a newer view, and the poll is
      // answered (with an older one) only once the client has taken the stream's.
      until(
        () => stream !== null,
        () => {
          const n = ++events;
          stream!.write(`event: policy\ndata: ${JSON.stringify({ ...real, policy: 'no_new_trades', reasons: [`stream ${n}`] })}\n\n`);
          until(
            () => Number(/^stream (\d+)$/.exec(client!.current().reasons[0] ?? '')?.[1] ?? 0) >= n,
            () => {
              res
                .writeHead(200, { 'content-type': 'application/json' })
                .end(JSON.stringify({ ...real, policy: 'allow_all', reasons: ['poll'] }));
            },
          );
        },
      );
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const seen: string[] = [];
    client = new PolicyClient({ baseUrl: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, pollIntervalMs: 3_600_000 });
    client.on('change', (p: PolicyView) => seen.push(p.policy));
    client.on('error', () => undefined);
    client.start();
    try {
      await client.refresh(); // resolves once its (older) answer has been handled
      assert.equal(client.current().policy, 'no_new_trades');
      assert.match(client.current().reasons[0], /^stream \d+$/);
      assert.ok(!seen.includes('allow_all'), seen.join());
    } finally {
      client.stop();
      srv.closeAllConnections();
      srv.close();
    }
  });
});
