// A real `selfheal serve` (the CLI, in its own process) on a free loopback port, for clients in other languages.
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { tempDir } from './fs';
import { healthyPlatform } from './platform';
import { freePort, ready, serve } from './process';

export interface CliService {
  url: string;
  token: string;
  stop(): Promise<void>;
}

/**
 * Starts the CLI on a platform that is healthy now (fresh for a minute: the executor's heartbeat limit),
 * with no hold-down and no resource limits (the host's load is not the test's), so the served policy
 * is allow_all unless a caller imposes a stricter one.
 */
export async function serveHealthy(extraYaml = ''): Promise<CliService> {
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
  const child = serve(config);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };
  after(stop);
  await ready(port);
  return { url: `http://127.0.0.1:${port}`, token, stop };
}
