// `selfheal demo fault SUBSYSTEM` / `selfheal demo heal [SUBSYSTEM]`: drive the bundled demo.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { loadConfigFile } from '../config/load';
import { readFaults, startSimulator, writeFaults } from './simulator';

export const DEMO_CONFIG = join(__dirname, '..', '..', '..', 'demo', 'selfheal.yml');

export async function demoCommand(argv: string[], io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { config: { type: 'string' } }, allowPositionals: true });
  const config = loadConfigFile(values.config ?? DEMO_CONFIG);
  const [verb, name] = positionals;
  const known = config.subsystems.map((s) => s.name);
  if (name && !known.includes(name)) {
    io.err(`selfheal demo: unknown subsystem "${name}" (one of ${known.join(', ')})\n`);
    return 3;
  }
  const faults = readFaults(config.data_dir);
  if (verb === 'fault' && name) {
    writeFaults(config.data_dir, [...faults, name]);
    io.out(`${name}: heartbeat stopped. Watch http://${config.host}:${config.port}/ and /policy; heal with: selfheal demo heal ${name}\n`);
    return 0;
  }
  if (verb === 'heal') {
    writeFaults(config.data_dir, name ? faults.filter((f) => f !== name) : []);
    io.out(`${name ?? 'all subsystems'}: heartbeat resumed\n`);
    return 0;
  }
  if (verb === 'simulate') {
    // The platform simulator on its own (the docker-compose stack runs it as a separate service).
    const stop = startSimulator(config);
    io.out(`simulating the platform in ${config.data_dir} every ${config.demo.interval_sec}s; Ctrl-C to stop\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    stop();
    return 0;
  }
  if (verb === 'status') {
    io.out(`faulted: ${faults.length ? faults.join(', ') : 'none'}\n`);
    return 0;
  }
  io.err('usage: selfheal demo fault SUBSYSTEM | heal [SUBSYSTEM] | status | simulate  [--config FILE]\n');
  return 3;
}
