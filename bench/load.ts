// A small closed-loop HTTP load generator: C workers on keep-alive connections.
import { spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
}

export type Body = () => { body: string; headers: Record<string, string> };

function get(agent: Agent, port: number, path: string, body?: Body): Promise<void> {
  return new Promise((resolve, reject) => {
    const b = body?.();
    const req = request({ host: '127.0.0.1', port, path, agent, method: b?.body ? 'POST' : 'GET', headers: b?.headers }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(b?.body || undefined);
  });
}

/** A GET with these headers (e.g. Accept-Encoding), as a Body without one. */
export const headersOnly =
  (headers: Record<string, string>): Body =>
  () => ({ body: '', headers });

export async function load(port: number, path: string, concurrency: number, total: number, body?: Body): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const lat: number[] = [];
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < total) {
        issued++;
        const t = performance.now();
        await get(agent, port, path, body);
        lat.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  return { requests: lat.length, seconds, rps: lat.length / seconds, p50_ms: q(0.5), p99_ms: q(0.99) };
}

/** wrk (Debian package `wrk`), a native load generator: fairer than a Node client sharing the 2 cores. */
export function hasWrk(): boolean {
  return spawnSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' }).status === 0;
}

const ms = (v: string) => (v.endsWith('us') ? parseFloat(v) / 1000 : v.endsWith('ms') ? parseFloat(v) : parseFloat(v) * 1000);

export function wrk(port: number, path: string, connections: number, seconds: number, headers: Record<string, string> = {}): LoadResult {
  const args = [
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    '--latency',
    ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    `http://127.0.0.1:${port}${path}`,
  ];
  const out = spawnSync('wrk', args, { encoding: 'utf8' }).stdout;
  const rps = parseFloat(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 'NaN');
  const requests = parseInt(/(\d+) requests in/.exec(out)?.[1] ?? '0', 10);
  return {
    requests,
    seconds,
    rps,
    p50_ms: ms(/\s50%\s+(\S+)/.exec(out)?.[1] ?? 'NaN'),
    p99_ms: ms(/\s99%\s+(\S+)/.exec(out)?.[1] ?? 'NaN'),
  };
}
