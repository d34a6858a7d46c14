// A real `selfheal serve` in its own process for the hostile-load tests (issue 25), with what they
// measure from outside: its RSS, its log lines, /policy latency on fresh connections, raw clients
// bound to many loopback addresses.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after } from 'node:test';
import { stringify } from 'yaml';
import { tempDir } from './fs';
import { healthyPlatform } from './platform';
import { BIN, freePort, until } from './process';

export interface ServeChild {
  root: string;
  port: number;
  url: string;
  proc: ChildProcess;
  /** Everything it logged so far (JSON lines, stdout and stderr). */
  logs(): string;
  /** Its resident set size now, MiB. */
  rssMiB(): number;
  stop(): Promise<void>;
}

/** How serveChild runs it: a web config file, headers for the readiness probe, the root of an earlier run. */
export interface ServeOptions {
  web?: Record<string, unknown>;
  /** Sent with the readiness probe (basic auth of the web config). */
  headers?: Record<string, string>;
  /** Start again on the files of an earlier run (its platform and journal). */
  root?: string;
}

/**
 * `selfheal serve` on a healthy platform (no hold-down, no resource limits), config `extra` merged
 * over the defaults.
 */
export async function serveChild(extra: Record<string, unknown> = {}, opts: ServeOptions = {}): Promise<ServeChild> {
  const { web, headers = {} } = opts;
  const root = opts.root ?? tempDir();
  if (!opts.root) healthyPlatform(root, Date.now());
  const port = await freePort();
  const config = {
    data_dir: join(root, 'data'),
    log_dir: join(root, 'logs'),
    models_dir: join(root, 'models'),
    database_path: join(root, 'db', 'quantum_trader.db'),
    host: '127.0.0.1',
    port,
    policy: { hold_down_sec: 0, valid_for_sec: 60 },
    max_cpu_percent: 100,
    max_memory_percent: 100,
    ...extra,
  };
  writeFileSync(join(root, 'selfheal.yml'), stringify(config));
  const args = [BIN, 'serve', '--config', join(root, 'selfheal.yml'), '--log-level', 'warn', '--log.format', 'json'];
  if (web) {
    writeFileSync(join(root, 'web.yml'), stringify(web));
    args.push('--web.config.file', join(root, 'web.yml'));
  }
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  proc.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    await once(proc, 'exit');
  };
  after(stop);
  const url = `http://127.0.0.1:${port}`;
  await until(`selfheal on :${port}`, async () => (await fetch(`${url}/-/ready`, { headers })).ok);
  return {
    root,
    port,
    url,
    proc,
    logs: () => logs,
    rssMiB: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1]) / 1024,
    stop,
  };
}

/** One request on a fresh connection (what a flood leaves room for): status, body, milliseconds. */
export function call(
  url: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; ms: number; headers: Record<string, unknown> }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const req = request(
      { host: '127.0.0.1', port, path, method, agent: false, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - t, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export const quantile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

/**
 * GET /policy `n` times from `concurrency` clients, each request on a fresh connection; every answer
 * must be 200. Returns the latencies (ms).
 */
export async function policyLatencies(
  url: string,
  n: number,
  concurrency: number,
  headers: Record<string, string> = {},
): Promise<number[]> {
  const lat: number[] = [];
  let issued = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < n) {
        issued++;
        const r = await call(url, 'GET', '/policy', undefined, headers);
        assert.equal(r.status, 200, `GET /policy answered ${r.status}: ${r.body}`);
        lat.push(r.ms);
      }
    }),
  );
  return lat;
}

/**
 * The bound the issue demands, measured robustly on a shared 2-core host: a warm-up, then up to
 * `rounds` rounds of `n` requests; it holds if one round's p99 is within it (a round spoiled by
 * another process on the host is measured again; a service that breaks it fails every round).
 * Returns every round's figures, for the test's diagnostics.
 */
export async function p99Within(
  boundMs: number,
  measure: () => Promise<number[]>,
  rounds = 3,
): Promise<{ held: boolean; figures: { n: number; p50: number; p99: number; max: number }[] }> {
  const figures: { n: number; p50: number; p99: number; max: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    const lat = await measure();
    figures.push({ n: lat.length, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), max: Math.max(...lat) });
    if (figures[figures.length - 1].p99 <= boundMs) return { held: true, figures };
  }
  return { held: false, figures };
}

/** A raw connection from `localAddress` (any of 127.0.0.0/8) that sends `head` and reads only the first bytes of the answer. */
export function rawClient(port: number, localAddress: string, head: string): Promise<{ sock: Socket; first: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host: '127.0.0.1', localAddress });
    sock.once('error', reject);
    sock.once('connect', () => sock.write(head));
    sock.once('data', (d: Buffer) => {
      sock.pause(); // and never reads again
      sock.removeListener('error', reject);
      sock.on('error', () => undefined);
      resolve({ sock, first: d.toString('latin1') });
    });
  });
}
