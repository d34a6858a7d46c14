// Issue 12's figures: /policy at scrape speed, a policy change fanned out to 1,000 SSE subscribers,
// and /policy latency during a 10,000-alert storm. Each server runs in its own process (bench/server.ts).
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { hasWrk, load, wrk, type LoadResult } from './load';
import { call, f, q, stop, stormAlerts, type Say } from './child';

type Child = (mode: 'ours' | 'naive' | 'receiver', n: number) => Promise<{ proc: ChildProcess; port: number }>;

/** /policy and /metrics of one server, in alternating rounds; the median round of each. */
export async function policyVsMetrics(say: Say, child: Child): Promise<void> {
  const native = hasWrk();
  say(
    `## GET /policy vs GET /metrics (13 subsystems, 8 concurrent keep-alive clients, one server process; load: ${native ? 'wrk' : 'Node client'})`,
  );
  say();
  say('Both paths are answered from pre-encoded bytes ahead of Express routing. Alternating rounds of 5 s; the median round of each.');
  say();
  const { proc, port } = await child('receiver', 13);
  const runs: Record<string, LoadResult[]> = { '/metrics': [], '/policy': [] };
  for (const p of Object.keys(runs)) await load(port, p, 8, 2000); // warm-up
  for (let r = 0; r < 3; r++) for (const p of Object.keys(runs)) runs[p].push(native ? wrk(port, p, 8, 5) : await load(port, p, 8, 20_000));
  await stop(proc);
  const mid = (rs: LoadResult[]) => [...rs].sort((a, b) => a.rps - b.rps)[Math.floor(rs.length / 2)];
  say('| path | requests/s | p50 ms | p99 ms | rounds: requests/s (p99 ms) | vs /metrics |');
  say('|---|---:|---:|---:|---|---:|');
  const m = mid(runs['/metrics']);
  for (const p of Object.keys(runs)) {
    const r = mid(runs[p]);
    say(
      `| ${p} | ${f(r.rps, 0)} | ${f(r.p50_ms)} | ${f(r.p99_ms)} | ${runs[p].map((x) => `${f(x.rps, 0)} (${f(x.p99_ms)})`).join(', ')} | ${f((100 * r.rps) / m.rps, 0)} % |`,
    );
  }
  say();
}

/** 1,000 raw SSE subscribers; each policy change timed from the request to every subscriber's event. */
export async function sseFanout(say: Say, child: Child): Promise<void> {
  say('## A policy change reaching 1,000 SSE subscribers');
  say();
  const { proc, port } = await child('receiver', 13);
  const subs: { sock: Socket; buf: string; seen: number; got: (() => void) | null }[] = [];
  for (let i = 0; i < 1000; i++) {
    const sock = connect(port, '127.0.0.1');
    await once(sock, 'connect');
    const s = { sock, buf: '', seen: 0, got: null as (() => void) | null };
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      s.buf += d;
      let k;
      while ((k = s.buf.indexOf('event: policy\n')) >= 0) {
        s.buf = s.buf.slice(k + 14);
        s.seen++;
        s.got?.();
      }
    });
    sock.write('GET /policy/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    subs.push(s);
  }
  while (subs.some((s) => s.seen === 0)) await new Promise((r) => setTimeout(r, 20));
  const lat: number[] = [];
  const cold: number[] = [];
  const auth = { authorization: 'Bearer bench-token' };
  // Two warm-up changes (a POST and a DELETE: the routes' first runs, JIT), measured apart as "cold".
  for (let i = -2; i < 20; i++) {
    const into = i < 0 ? cold : lat;
    const base = subs.map((s) => s.seen);
    const t0 = performance.now();
    const arrived = subs.map(
      (s, j) =>
        new Promise<void>((r) => {
          s.got = () => {
            if (s.seen > base[j]) {
              into.push(performance.now() - t0);
              s.got = null;
              r();
            }
          };
        }),
    );
    if (i % 2 === 0)
      await call(port, 'POST', '/policy/override', JSON.stringify({ policy: 'no_new_trades', duration_sec: 600, reason: 'bench' }), auth);
    else await call(port, 'DELETE', '/policy/override', undefined, auth);
    await Promise.all(arrived);
  }
  for (const s of subs) s.sock.destroy();
  await stop(proc);
  say('Time from sending the change (POST/DELETE /policy/override) until each subscriber has read the `policy` event; the');
  say("1,000 subscribers share the load generator's process (and the 2 cores) with nothing else. After two warm-up");
  say(`changes (the routes' first runs; measured apart: p50 ${f(q(cold, 0.5))} ms, max ${f(Math.max(...cold))} ms).`);
  say();
  say('| subscribers | changes | deliveries | p50 ms | p99 ms | max ms |');
  say('|---:|---:|---:|---:|---:|---:|');
  say(`| 1000 | 20 | ${lat.length} | ${f(q(lat, 0.5))} | ${f(q(lat, 0.99))} | ${f(Math.max(...lat))} |`);
  say();
}

/** /policy polled by 4 clients while 10,000 actionable alerts arrive for one subsystem in one delivery. */
export async function stormPolicy(say: Say, child: Child): Promise<void> {
  say('## GET /policy during a 10,000-alert storm');
  say();
  const { proc, port } = await child('receiver', 13);
  const alerts = stormAlerts(['ai_model']);
  const body = JSON.stringify({ version: '4', status: 'firing', receiver: 'hook', groupKey: '{}', alerts });
  const lat: number[] = [];
  let storming = true;
  const pollers = Array.from({ length: 4 }, async () => {
    while (storming) lat.push((await call(port, 'GET', '/policy')).ms);
  });
  await new Promise((r) => setTimeout(r, 300));
  const t0 = performance.now();
  const ack = await call(port, 'POST', '/alertmanager/webhook', body, { authorization: 'Bearer bench-token' });
  // Then the executor's passes: 5 run (the breaker), 9,995 go to approval.
  await new Promise((r) => setTimeout(r, 3000));
  const after = await call(
    port,
    'POST',
    '/alertmanager/webhook',
    JSON.stringify({ version: '4', status: 'firing', receiver: 'hook', groupKey: '{}', alerts: [{ ...alerts[0], fingerprint: 'late' }] }),
    { authorization: 'Bearer bench-token' },
  );
  await new Promise((r) => setTimeout(r, 500));
  storming = false;
  await Promise.all(pollers);
  await stop(proc);
  say(
    `One delivery of 10,000 actionable alerts (${f(body.length / 2 ** 20, 1)} MiB) for one subsystem, acknowledged (HTTP ${ack.status}) in ${f(ack.ms, 0)} ms;`,
  );
  say(`a single-alert delivery ~3 s later in ${f(after.ms, 1)} ms. Meanwhile 4 clients polled GET /policy (each on a fresh connection):`);
  say();
  say('| /policy answers | p50 ms | p99 ms | max ms | storm + aftermath s |');
  say('|---:|---:|---:|---:|---:|');
  say(`| ${lat.length} | ${f(q(lat, 0.5))} | ${f(q(lat, 0.99))} | ${f(Math.max(...lat))} | ${f((performance.now() - t0) / 1000, 1)} |`);
  say();
}
