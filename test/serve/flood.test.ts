// Issue 25, connection classes and password checks under a flood, through a real `selfheal serve`:
// 2,000 stream subscribers that never read, and 32 clients guessing passwords. The load comes from
// this process; the server runs in its own.
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { SSE_MAX_UNACKED_BYTES } from '../../src/serve/streams';
import { unackedByPeer } from '../../src/http/tcp_queues';
import { BCRYPT_QUEUE, FAILURES_BURST } from '../../src/http/web_gate';
import { call, p99Within, policyLatencies, rawClient, serveChild } from '../helpers/hostile';
import { until } from '../helpers/process';
import { delivery } from '../helpers/receiver';

const STREAM = 'GET /policy/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
const OP = { authorization: 'Bearer op-token' };
const f = (n: number) => n.toFixed(1);

/** The open descriptors this process may have: 2,000 clients need more than a default 1,024. */
function nofile(): number {
  return Number(execSync('ulimit -n', { shell: '/bin/sh', encoding: 'utf8' }).trim());
}

describe('a stream flood: 2,000 subscribers that never read (api.max_streams, api.max_streams_per_client)', () => {
  it('/policy answers every request (p99 ≤ 50 ms), the operator and the webhook get through, non-readers are dropped, RSS stays bounded', async (t) => {
    assert.ok(nofile() >= 4096, `ulimit -n is ${nofile()}: this test opens 2,000 connections`);
    // The defaults: 1,024 connections, 512 streams, 32 per client address.
    const s = await serveChild({ api: { token: 'op-token' }, receiver: { bearer_token: 'hook' } });
    await policyLatencies(s.url, 200, 4); // warm-up: JIT, the first cycles
    const rssIdle = s.rssMiB();

    // 40 from one address: 32 admitted, 8 refused naming the per-client cap …
    const one = await Promise.all(Array.from({ length: 40 }, () => rawClient(s.port, '127.0.200.1', STREAM)));
    // … then 1,960 from 98 addresses (20 each, under the per-client cap): the global cap admits 480 more.
    const many: typeof one = [];
    for (let i = 0; i < 1960; i += 98)
      many.push(...(await Promise.all(Array.from({ length: 98 }, (_, k) => rawClient(s.port, `127.0.${1 + k}.${1 + i / 98}`, STREAM)))));
    const all = [...one, ...many];
    const ok = (c: { first: string }) => /^HTTP\/1\.1 200 /.test(c.first);
    assert.equal(one.filter(ok).length, 32);
    assert.equal(all.filter(ok).length, 512, 'api.max_streams: half of api.max_connections');
    for (const c of all.filter((x) => !ok(x))) {
      assert.match(c.first, /^HTTP\/1\.1 503 /);
      assert.match(c.first, /\r\nRetry-After: 10\r\n/i);
      assert.match(c.first, /too many policy streams (\(api\.max_streams: 512\)|from 127\.0\.200\.1 \(api\.max_streams_per_client: 32\))/);
    }
    assert.match(one.filter((x) => !ok(x))[0].first, /api\.max_streams_per_client: 32/);
    const rssHeld = s.rssMiB();

    // /policy through the flood: every request answered, p99 within the issue's bound.
    const policy = await p99Within(50, () => policyLatencies(s.url, 2000, 8));
    t.diagnostic(
      `/policy under 512 open non-reading streams: ${policy.figures.map((x) => `${x.n} answers p50 ${f(x.p50)} p99 ${f(x.p99)} max ${f(x.max)} ms`).join('; ')}`,
    );
    assert.ok(policy.held, `p99 above 50 ms in every round: ${JSON.stringify(policy.figures)}`);
    // The operator and Alertmanager get through.
    const override = await call(
      s.url,
      'POST',
      '/policy/override',
      JSON.stringify({ policy: 'no_new_trades', duration_sec: 600, reason: 'drill' }),
      OP,
    );
    assert.equal(override.status, 200, override.body);
    const hook = await call(
      s.url,
      'POST',
      '/alertmanager/webhook',
      JSON.stringify(delivery([{ labels: { subsystem: 'logging', issue_severity: 'none' }, fingerprint: 'flood1' }])),
      { authorization: 'Bearer hook' },
    );
    assert.deepEqual([hook.status, JSON.parse(hook.body)], [200, { received: 1, recorded: 1, deduplicated: 0 }]);

    // Policy changes push events at the non-readers until each is dropped; meanwhile no subscriber
    // holds much more than SSE_MAX_UNACKED_BYTES unacknowledged in the server's kernel.
    let worst = 0;
    let changes = 0;
    const dropped = () => (s.logs().match(/SSE subscriber not reading: dropped/g) ?? []).length;
    await until(
      'every non-reading subscriber dropped',
      async () => {
        for (let i = 0; i < 10; i++, changes++)
          await call(
            s.url,
            i % 2 ? 'POST' : 'DELETE',
            '/policy/override',
            JSON.stringify({ policy: 'no_new_trades', duration_sec: 600, reason: 'x'.repeat(400) }),
            OP,
          );
        for (const n of (await unackedByPeer(s.port)).values()) worst = Math.max(worst, n);
        return dropped() >= 512;
      },
      120_000,
      0,
    );
    const rssAfter = s.rssMiB();
    t.diagnostic(
      `${changes} policy changes until all 512 were dropped; the most a subscriber had unacknowledged in the server's kernel: ${f(worst / 1024)} KiB (limit ${SSE_MAX_UNACKED_BYTES / 1024} KiB, checked once a second)`,
    );
    t.diagnostic(
      `server RSS: ${f(rssIdle)} MiB idle, ${f(rssHeld)} MiB with 512 streams held and 1,488 refused (${f(((rssHeld - rssIdle) * 1024) / 512)} KiB a stream, refusals' garbage included), ${f(rssAfter)} MiB at the end`,
    );
    assert.ok(worst > 0, 'the kernel queues were seen filling (else the bound below says nothing)');
    assert.ok(worst <= 4 * SSE_MAX_UNACKED_BYTES, `a subscriber had ${worst} bytes unacknowledged`);
    assert.ok(rssAfter < 256, `RSS ${f(rssAfter)} MiB`);
    // Room again: a new subscriber is admitted.
    const again = await rawClient(s.port, '127.0.201.1', STREAM);
    assert.match(again.first, /^HTTP\/1\.1 200 /);
    for (const c of [...all, again]) c.sock.destroy();
  });
});

describe('a password flood: 32 clients with wrong passwords (basic auth in the web config)', () => {
  it('a cached user gets /policy at p99 ≤ 50 ms; bcrypt stays bounded; failing addresses get 429; rate_limit never starves the cached user', async (t) => {
    const [aliceHash, bobHash] = ['s3cret', 'b0b'].map((p) => bcrypt.hashSync(p, 10)); // cost 10, as htpasswd -nBC 10
    const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    const alice = basic('alice', 's3cret'); // verified by the readiness probe, then cached
    const web = { basic_auth_users: { alice: aliceHash, bob: bobHash }, rate_limit: { interval: '1s', burst: 5 } };
    const s = await serveChild({}, { web, headers: alice });
    await policyLatencies(s.url, 200, 4, alice); // warm-up, and far beyond rate_limit's burst: never limited

    // 32 clients from two addresses, each trying a new wrong password 10 times a second (320/s in all;
    // the red team's flood reached 17/s, paced by bcrypt on the event loop).
    let attacking = true;
    const started = performance.now();
    const codes = new Map<number, number>();
    const attackers = Array.from({ length: 32 }, async (_, i) => {
      for (let k = 0; attacking; k++) {
        const paced = new Promise((r) => setTimeout(r, 100));
        const head = `GET /policy HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: ${basic('alice', `guess-${i}-${k}`).authorization}\r\n\r\n`;
        const code = await rawClient(s.port, `127.0.${210 + (i % 2)}.1`, head).then(
          (c) => (c.sock.destroy(), Number(/^HTTP\/1\.1 (\d+)/.exec(c.first)?.[1] ?? 0)),
          () => 0,
        );
        codes.set(code, (codes.get(code) ?? 0) + 1);
        await paced;
      }
    });
    // Measured in the flood's steady state: its first seconds fill every address's failure budget.
    await new Promise((r) => setTimeout(r, 3000));
    const policy = await p99Within(50, () => policyLatencies(s.url, 2000, 4, alice));
    // A user not yet verified gets in during the flood (from another address; 429 means retry).
    let bob = 0;
    await until(
      'bob verified during the flood',
      async () => (bob = (await call(s.url, 'GET', '/-/healthy', undefined, basic('bob', 'b0b'))).status) === 200,
      30_000,
      200,
    );
    const seconds = (performance.now() - started) / 1000 + 1;
    attacking = false;
    await Promise.all(attackers);
    t.diagnostic(
      `/policy for the cached user under the flood: ${policy.figures.map((x) => `${x.n} answers p50 ${f(x.p50)} p99 ${f(x.p99)} max ${f(x.max)} ms`).join('; ')}`,
    );
    t.diagnostic(
      `the attackers' ${[...codes.values()].reduce((a, b) => a + b, 0)} attempts in ${f(seconds)} s: ${[...codes].map(([c, n]) => `${n} × ${c}`).join(', ')}`,
    );
    assert.ok(policy.held, `p99 above 50 ms in every round: ${JSON.stringify(policy.figures)}`);
    assert.equal(bob, 200);
    assert.equal(codes.get(200) ?? 0, 0, 'no wrong password passed');
    // Per address FAILURES_BURST, then one per 6 s, reached bcrypt and failed; everything else was 429 without bcrypt.
    const failed = codes.get(401) ?? 0;
    assert.ok(failed <= 2 * (FAILURES_BURST + seconds / 6 + BCRYPT_QUEUE), `${failed} wrong passwords were checked in ${f(seconds)} s`);
    assert.ok((codes.get(429) ?? 0) > 10 * failed, 'the rest were refused 429 without bcrypt');
  });
});
