// A real `selfheal serve` (the CLI, in its own process) on a free loopback port, for clients in other languages.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { tempDir } from './fs';
import { healthyPlatform } from './platform';
import { BIN, freePort, ready, serve } from './process';

export interface CliService {
  url: string;
  token: string;
  /** The config file it runs with (its port is fixed in it: a restart listens where it did). */
  config: string;
  /** The command line that starts it (for a client test that kills and restarts it itself). */
  argv: string[];
  stop(): Promise<void>;
  /** SIGKILL: no goodbye on the stream, no graceful close — what a crash looks like to a client. */
  kill(): Promise<void>;
  /** Starts it again on the same config and port; resolves once it is ready. */
  restart(): Promise<void>;
}

/**
 * A config for a platform that is healthy now (fresh for a minute: the executor's heartbeat limit),
 * with no hold-down and no resource limits (the host's load is not the test's), so the served policy
 * is allow_all unless a caller imposes a stricter one.
 */
export async function healthyConfig(extraYaml = ''): Promise<{ config: string; port: number; token: string }> {
  const root = tempDir();
  healthyPlatform(root, Date.now());
  const port = await freePort();
  const token = 'op-test-token';
  const config = join(root, 'selfheal.yml');
  writeFileSync(
    config,
    [
      `data_dir: ${JSON.stringify(join(root, 'data'))}`,
      `log_dir: ${JSON.stringify(join(root, 'logs'))}`,
      `models_dir: ${JSON.stringify(join(root, 'models'))}`,
      `database_path: ${JSON.stringify(join(root, 'db', 'quantum_trader.db'))}`,
      'host: 127.0.0.1',
      `port: ${port}`,
      `api: { token: ${token} }`,
      'policy: { hold_down_sec: 0, valid_for_sec: 60 }',
      'max_cpu_percent: 100',
      'max_memory_percent: 100',
      extraYaml,
    ].join('\n'),
  );
  return { config, port, token };
}

/** Starts the CLI on a healthyConfig (see there). */
export async function serveHealthy(extraYaml = ''): Promise<CliService> {
  const { config, port, token } = await healthyConfig(extraYaml);
  let child: ChildProcess = serve(config);
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await once(child, 'exit');
  };
  after(() => end('SIGTERM'));
  await ready(port);
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    config,
    argv: [process.execPath, BIN, 'serve', '--config', config, '--log-level', 'warn'],
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    restart: async () => {
      await end('SIGTERM');
      child = serve(config);
      await ready(port);
    },
  };
}
