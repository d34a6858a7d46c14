// Issue 25's figures: /policy while the service is under hostile load — a storm spread over five
// subsystems, 2,000 stream subscribers that never read, 32 clients guessing passwords. Each server
// runs in its own process (bench/server.ts); the load comes from this one.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { ask, call, f, q, stop, stormAlerts, type Say } from './child';

type Child = (mode: 'receiver' | 'streams' | 'web', n: number) => Promise<{ proc: ChildProcess; port: number }>;

/** The five subsystems of the spread storm: a protective floor (pause_trading), disable_module, three restarts. */
export const SPREAD = ['data_feed', 'ai_model', 'event_executor', 'orchestrator', 'portfolio_balancer'];

/** One run: a fresh server, 10,000 alerts for `subsystems` (round robin) in `shape`, /policy polled meanwhile. */
async function stormRun(child: Child, subsystems: string[], shape: 'one' | 'per-subsystem') {
  const { proc, port } = await child('receiver', 13);
  const alerts = stormAlerts(subsystems);
  // Alertmanager groups by (alertname, instance, subsystem): one delivery per subsystem, all at once.
  const groups = shape === 'one' ? [alerts] : subsystems.map((s) => alerts.filter((a) => a.labels.subsystem === s));
  const bodies = groups.map((g) => JSON.stringify({ version: '4', status: 'firing', receiver: 'hook', groupKey: '{}', alerts: g }));
  const lat: number[] = [];
  let storming = true;
  const pollers = Array.from({ length: 4 }, async () => {
    while (storming) lat.push((await call(port, 'GET', '/policy')).ms);
  });
  await new Promise((r) => setTimeout(r, 1000)); // warm-up, not measured
  lat.length = 0;
  proc.send('eld-start');
  const t0 = performance.now();
  const acks = await Promise.all(
    bodies.map((b) => call(port, 'POST', '/alertmanager/webhook', b, { authorization: 'Bearer bench-token' })),
  );
  await new Promise((r) => setTimeout(r, 4000)); // the executor's passes, floors, verifications
  storming = false;
  await Promise.all(pollers);
  const eld = await ask<{ eld_max_ms: number }>(proc, 'eld');
  await stop(proc);
  return { lat, eld: eld.eld_max_ms, acks, seconds: (performance.now() - t0) / 1000 };
}

/**
 * /policy polled by 4 clients while 10,000 actionable alerts for five subsystems arrive, in one
 * delivery and as Alertmanager sends them (one delivery per subsystem, at once); the server's
 * longest event-loop turn over the same window (monitorEventLoopDelay).
 */
export async function stormSpread(say: Say, child: Child, subsystems = SPREAD, runs = 3): Promise<void> {
  say(`## GET /policy during a 10,000-alert storm spread over ${subsystems.length} subsystems`);
  say();
  say(`Subsystems: ${subsystems.join(', ')} (alert i goes to subsystem i mod ${subsystems.length}), in one delivery, or in`);
  say(`${subsystems.length} deliveries posted at once (Alertmanager groups by alertname, instance and subsystem). Each run is a`);
  say('fresh server. "Longest turn" is the server\'s own `monitorEventLoopDelay` max (1 ms resolution) from just before the');
  say('deliveries to the end of the run.');
  say();
  say('| shape | run | /policy answers | p50 ms | p99 ms | max ms | longest turn ms | acks (ms) | storm + aftermath s |');
  say('|---|---:|---:|---:|---:|---:|---:|---|---:|');
  const maxes: number[] = [];
  for (let run = 1; run <= runs; run++) {
    for (const shape of ['one', 'per-subsystem'] as const) {
      const r = await stormRun(child, subsystems, shape);
      const max = Math.max(...r.lat);
      maxes.push(max);
      say(
        `| ${shape === 'one' ? '1 delivery' : `${subsystems.length} deliveries`} | ${run} | ${r.lat.length} | ${f(q(r.lat, 0.5))} | ${f(q(r.lat, 0.99))} | ${f(max)} | ${f(r.eld, 1)} | ${r.acks.map((a) => `${a.status}: ${f(a.ms, 0)}`).join(', ')} | ${f(r.seconds, 1)} |`,
      );
    }
  }
  say();
  say(`Slowest /policy answer over the ${maxes.length} runs: ${f(Math.max(...maxes))} ms (target ≤ 50 ms).`);
  say();
}

/** The server's RSS (MiB), from /proc: what the kernel charges the process, heap and all. */
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

/** The kernel's memory for the server's end of each connection (ss -tm: rmem + wmem queued + forward alloc), bytes. */
function serverSockets(port: number): number[] {
  const out = execFileSync('ss', ['-tmnH', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' });
  return [...out.matchAll(/skmem:\(r(\d+),rb\d+,t\d+,tb\d+,f(\d+),w(\d+)/g)].map((m) => Number(m[1]) + Number(m[2]) + Number(m[3]));
}

/** A connection from `from` that asks for the stream, reads the first bytes of the answer, then never reads again. */
function subscriber(port: number, from: string): Promise<{ sock: Socket; admitted: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host: '127.0.0.1', localAddress: from });
    sock.once('error', reject);
    sock.once('connect', () => sock.write('GET /policy/stream HTTP/1.1\r\nHost: bench\r\n\r\n'));
    sock.once('data', (d: Buffer) => {
      sock.pause();
      sock.on('error', () => undefined);
      resolve({ sock, admitted: d.toString('latin1').startsWith('HTTP/1.1 200') });
    });
  });
}

async function policyRound(port: number, n: number, concurrency: number, headers: Record<string, string> = {}): Promise<number[]> {
  const lat: number[] = [];
  let issued = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued++ < n) {
        const r = await call(port, 'GET', '/policy', undefined, headers);
        if (r.status !== 200) throw new Error(`/policy answered ${r.status}`);
        lat.push(r.ms);
      }
    }),
  );
  return lat;
}

/**
 * 2,000 stream subscribers that never read, on the defaults (1,024 connections, 512 streams, 32 per
 * address): what each costs the server, in the process and in the kernel, and /policy meanwhile.
 */
export async function streamFlood(say: Say, child: Child): Promise<void> {
  say('## A stream flood: 2,000 subscribers that never read (issue 25)');
  say();
  const { proc, port } = await child('streams', 13);
  const pid = proc.pid ?? 0;
  await policyRound(port, 500, 4); // warm-up
  const rss0 = rssMiB(pid);
  // 512 admitted first (16 addresses × 32), so their cost is measured alone …
  const held: { sock: Socket; admitted: boolean }[] = [];
  for (let a = 0; a < 16; a++) held.push(...(await Promise.all(Array.from({ length: 32 }, () => subscriber(port, `127.0.${100 + a}.1`)))));
  await new Promise((r) => setTimeout(r, 1000));
  const rss1 = rssMiB(pid);
  // … then 1,488 more from 93 other addresses: refused (503, Retry-After).
  const refused: { sock: Socket; admitted: boolean }[] = [];
  for (let a = 0; a < 93; a++)
    refused.push(...(await Promise.all(Array.from({ length: 16 }, (_, k) => subscriber(port, `127.1.${a}.${k + 1}`)))));
  await new Promise((r) => setTimeout(r, 1000));
  const rss2 = rssMiB(pid);
  const policy = await policyRound(port, 4000, 8);
  // Policy changes (~1.4 KB events) push at the non-readers until the server drops them.
  const auth = { authorization: 'Bearer bench-token' };
  const samples: { changes: number; open: number; maxKiB: number; totalMiB: number }[] = [];
  let changes = 0;
  for (; changes < 1000; changes += 2) {
    await call(
      port,
      'POST',
      '/policy/override',
      JSON.stringify({ policy: 'no_new_trades', duration_sec: 600, reason: 'x'.repeat(600) }),
      auth,
    );
    await call(port, 'DELETE', '/policy/override', undefined, auth);
    if (changes % 50 === 0) {
      const k = serverSockets(port);
      samples.push({ changes, open: k.length, maxKiB: Math.max(0, ...k) / 1024, totalMiB: k.reduce((a, b) => a + b, 0) / 2 ** 20 });
      if (k.length < 16) break; // the streams are gone (a few are the load's own connections)
    }
  }
  const rss3 = rssMiB(pid);
  for (const c of [...held, ...refused]) c.sock.destroy();
  await stop(proc);
  const worst = Math.max(...samples.map((x) => x.maxKiB));
  say('Server in its own process, defaults: `api.max_connections` 1,024, `api.max_streams` 512, `api.max_streams_per_client` 32.');
  say('Subscribers connect from many loopback addresses (127.0.0.0/8), read the first answer, then never read again.');
  say();
  say('| figure | value |');
  say('|---|---:|');
  say(
    `| admitted / refused (503 + Retry-After) | ${held.filter((c) => c.admitted).length + refused.filter((c) => c.admitted).length} / ${held.filter((c) => !c.admitted).length + refused.filter((c) => !c.admitted).length} |`,
  );
  say(`| server RSS: idle → 512 streams held → and 1,488 refused | ${f(rss0, 1)} → ${f(rss1, 1)} → ${f(rss2, 1)} MiB |`);
  say(`| **in the process, per held stream** ((RSS with 512 − idle) / 512) | **${f(((rss1 - rss0) * 1024) / 512, 1)} KiB** |`);
  say(
    `| **in the kernel, per stream, at most** (server end: rmem + wmem queued + forward alloc, ss -tm, sampled every 50 changes) | **${f(worst, 1)} KiB** |`,
  );
  say(
    `| /policy with 512 non-reading streams held, 8 clients, fresh connections | ${policy.length} answers, p50 ${f(q(policy, 0.5))} ms, p99 ${f(q(policy, 0.99))} ms, max ${f(Math.max(...policy))} ms |`,
  );
  say(`| policy changes until every non-reader was dropped | ${changes} (RSS after: ${f(rss3, 1)} MiB) |`);
  say();
  say('| changes | server-side stream sockets open | largest, KiB | all of them, MiB |');
  say('|---:|---:|---:|---:|');
  for (const x of samples) say(`| ${x.changes} | ${x.open} | ${f(x.maxKiB, 1)} | ${f(x.totalMiB, 2)} |`);
  say();
}

/** 32 clients guessing passwords (paced 10/s each) while a verified user polls /policy. */
export async function passwordFlood(say: Say, child: Child): Promise<void> {
  say('## A password flood: 32 clients with wrong passwords (issue 25)');
  say();
  const { proc, port } = await child('web', 13);
  const alice = { authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` };
  await policyRound(port, 500, 4, alice); // verified once, then cached; warm-up
  let attacking = true;
  const codes = new Map<number, number>();
  const started = performance.now();
  proc.send('cpu-start');
  const attackers = Array.from({ length: 32 }, async (_, i) => {
    for (let k = 0; attacking; k++) {
      const paced = new Promise((r) => setTimeout(r, 100));
      const auth = `Basic ${Buffer.from(`alice:guess-${i}-${k}`).toString('base64')}`;
      const r = await call(port, 'GET', '/policy', undefined, { authorization: auth }).catch(() => ({ status: 0, ms: 0 }));
      codes.set(r.status, (codes.get(r.status) ?? 0) + 1);
      await paced;
    }
  });
  await new Promise((r) => setTimeout(r, 3000));
  const rounds: number[][] = [];
  for (let r = 0; r < 3; r++) rounds.push(await policyRound(port, 2000, 4, alice));
  const cpu = await ask<{ cpu_ratio: number }>(proc, 'cpu');
  attacking = false;
  await Promise.all(attackers);
  const seconds = (performance.now() - started) / 1000;
  await stop(proc);
  say('Basic auth in the web config (bcrypt cost 10) and `rate_limit: {interval: 1s, burst: 5}`; the verified user polls');
  say('/policy from 4 clients on fresh connections; the 32 attackers share one address (127.0.0.1) with it and try a new');
  say(`wrong password 10 times a second each, for ${f(seconds, 1)} s.`);
  say();
  say('| round | /policy answers | p50 ms | p99 ms | max ms |');
  say('|---:|---:|---:|---:|---:|');
  rounds.forEach((lat, i) => say(`| ${i + 1} | ${lat.length} | ${f(q(lat, 0.5))} | ${f(q(lat, 0.99))} | ${f(Math.max(...lat))} |`));
  say();
  say(`The attackers' answers: ${[...codes].map(([c, n]) => `${n} × ${c}`).join(', ')}. Server CPU over the flood (all threads, the`);
  say(`verified user's ${rounds.length * 2000} requests included): ${f(cpu.cpu_ratio * 100, 1)} % of one core.`);
  say();
}
