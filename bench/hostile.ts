// Issue 25's figures: /policy while the service is under hostile load — a storm spread over five
// subsystems, 2,000 stream subscribers that never read, 32 clients guessing passwords. Each server
// runs in its own process (bench/server.ts); the load comes from this one.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';

type Say = (s?: string) => void;
type Child = (mode: 'ours' | 'naive' | 'receiver', n: number) => Promise<{ proc: ChildProcess; port: number }>;

const f = (n: number, d = 2) => n.toFixed(d);
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

async function stop(proc: ChildProcess): Promise<void> {
  proc.send('exit');
  await once(proc, 'exit');
}

async function ask<T>(proc: ChildProcess, msg: string): Promise<T> {
  proc.send(msg);
  const [m] = (await once(proc, 'message')) as [T];
  return m;
}

/** One HTTP request on a fresh connection: status and milliseconds. */
function call(
  port: number,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const req = request({ host: '127.0.0.1', port, path, method, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The five subsystems of the spread storm: a protective floor (pause_trading), disable_module, three restarts. */
export const SPREAD = ['data_feed', 'ai_model', 'event_executor', 'orchestrator', 'portfolio_balancer'];

/**
 * /policy polled by 4 clients while 10,000 actionable alerts for `subsystems` (round robin) arrive in
 * one delivery; the server's longest event-loop turn over the same window (monitorEventLoopDelay).
 */
export async function stormSpread(say: Say, child: Child, subsystems = SPREAD, runs = 3): Promise<void> {
  say(`## GET /policy during a 10,000-alert storm spread over ${subsystems.length} subsystems`);
  say();
  say(`Subsystems: ${subsystems.join(', ')} (alert i goes to subsystem i mod ${subsystems.length}); one delivery, as in the`);
  say('single-subsystem storm. Each run is a fresh server. "Longest turn" is the server\'s own `monitorEventLoopDelay` max');
  say('(1 ms resolution) from just before the delivery to the end of the run.');
  say();
  say('| run | /policy answers | p50 ms | p99 ms | max ms | longest turn ms | ack ms | storm + aftermath s |');
  say('|---:|---:|---:|---:|---:|---:|---:|---:|');
  const maxes: number[] = [];
  for (let run = 1; run <= runs; run++) {
    const { proc, port } = await child('receiver', 13);
    const alerts = Array.from({ length: 10_000 }, (_, i) => ({
      status: 'firing',
      labels: {
        alertname: 'SelfHealSubsystemCritical',
        instance: 'bench',
        subsystem: subsystems[i % subsystems.length],
        severity: 'critical',
        issue_severity: 'critical',
      },
      annotations: {},
      startsAt: new Date(1_800_000_000_000).toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '',
      fingerprint: `storm${i}`,
    }));
    const body = JSON.stringify({ version: '4', status: 'firing', receiver: 'hook', groupKey: '{}', alerts });
    const lat: number[] = [];
    let storming = true;
    const pollers = Array.from({ length: 4 }, async () => {
      while (storming) lat.push((await call(port, 'GET', '/policy')).ms);
    });
    await new Promise((r) => setTimeout(r, 1000)); // warm-up, not measured
    lat.length = 0;
    proc.send('eld-start');
    const t0 = performance.now();
    const ack = await call(port, 'POST', '/alertmanager/webhook', body, { authorization: 'Bearer bench-token' });
    await new Promise((r) => setTimeout(r, 4000)); // the executor's passes, floors, verifications
    storming = false;
    await Promise.all(pollers);
    const eld = await ask<{ eld_max_ms: number }>(proc, 'eld');
    await stop(proc);
    const max = Math.max(...lat);
    maxes.push(max);
    say(
      `| ${run} | ${lat.length} | ${f(q(lat, 0.5))} | ${f(q(lat, 0.99))} | ${f(max)} | ${f(eld.eld_max_ms, 1)} | ${f(ack.ms, 0)} (HTTP ${ack.status}) | ${f((performance.now() - t0) / 1000, 1)} |`,
    );
  }
  say();
  say(`Slowest /policy answer over the ${runs} runs: ${f(Math.max(...maxes))} ms (target ≤ 50 ms).`);
  say();
}
