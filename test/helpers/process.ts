import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export const BIN = resolve(__dirname, '../../../bin/selfheal.js');

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Polls until `check` is true; start-up on a loaded CI machine gets a generous deadline. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function serve(config: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [BIN, 'serve', '--config', config, '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ...env },
  });
}

export async function ready(port: number): Promise<void> {
  await until(`selfheal on :${port}`, async () => (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok);
}

/**
 * The base of a config file for a `selfheal serve` process in a test: the guide's layout below the
 * file's own directory, short intervals, the host's CPU and memory kept out of the verdict.
 */
export function processConfig(port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    data_dir: 'data',
    log_dir: 'logs',
    models_dir: 'models',
    database_path: 'db/quantum_trader.db',
    port,
    check_interval: 1,
    critical_check_interval: 0.5,
    stale_data_threshold_sec: 2,
    max_cpu_percent: 100,
    max_memory_percent: 100,
    policy: { hold_down_sec: 1 },
    ...extra,
  };
}
