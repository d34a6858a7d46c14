// What the bench files that drive a server child (bench/server.ts) share: stopping and asking it,
// one timed request, and the figures' formatting.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';

export type Say = (s?: string) => void;

/** A number with `d` decimals. */
export const f = (n: number, d = 2): string => n.toFixed(d);

/** The `p` quantile of `xs` (nearest rank, below). */
export const q = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

/** Asks the server child to exit and waits for it. */
export async function stop(proc: ChildProcess): Promise<void> {
  proc.send('exit');
  await once(proc, 'exit');
}

/** Sends the server child a question and waits for its answer. */
export async function ask<T>(proc: ChildProcess, msg: string): Promise<T> {
  proc.send(msg);
  const [m] = (await once(proc, 'message')) as [T];
  return m;
}

/** One HTTP request on a fresh connection: status and milliseconds. */
export function call(
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

/** A 10,000-alert storm of critical alerts for `subsystems`, round robin, as Alertmanager sends them. */
export function stormAlerts(subsystems: readonly string[]) {
  return Array.from({ length: 10_000 }, (_, i) => ({
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
}
