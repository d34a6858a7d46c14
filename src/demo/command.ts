// `selfheal demo fault SUBSYSTEM` / `selfheal demo heal [SUBSYSTEM]`: drive the bundled demo.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { loadConfigFile } from '../config/load';
import { readDemoFaults, startSimulator, writeDemoFaults } from './simulator';

export const DEMO_CONFIG = join(__dirname, '..', '..', '..', 'demo', 'selfheal.yml');

export async function demoCommand(argv: string[], io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, stubborn: { type: 'boolean' } },
    allowPositionals: true,
  });
  const config = loadConfigFile(values.config ?? DEMO_CONFIG);
  const [verb, name] = positionals;
  const known = config.subsystems.map((s) => s.name);
  if (name && !known.includes(name)) {
    io.err(`selfheal demo: unknown subsystem "${name}" (one of ${known.join(', ')})\n`);
    return 3;
  }
  const state = readDemoFaults(config.data_dir);
  if (verb === 'fault' && name) {
    state.faults.push(name);
    state.stubborn = values.stubborn ? [...state.stubborn, name] : state.stubborn.filter((s) => s !== name);
    writeDemoFaults(config.data_dir, state);
    const how = values.stubborn ? 'restarts will not help' : 'a restart will bring it back';
    io.out(
      `${name}: heartbeat stopped (${how}). Watch http://${config.host}:${config.port}/, /policy and /recovery/history; heal with: selfheal demo heal ${name}\n`,
    );
    return 0;
  }
  if (verb === 'heal') {
    state.faults = name ? state.faults.filter((f) => f !== name) : [];
    state.stubborn = state.stubborn.filter((s) => state.faults.includes(s));
    writeDemoFaults(config.data_dir, state);
    io.out(`${name ?? 'all subsystems'}: heartbeat resumed\n`);
    return 0;
  }
  if (verb === 'simulate') {
    // The platform simulator on its own (the docker-compose stack runs it as a separate service).
    const line = (o: object, msg: string) => io.err(`selfheal demo: ${msg} ${JSON.stringify(o)}\n`);
    const stop = startSimulator(config, { error: line, info: line });
    io.out(`simulating the platform in ${config.data_dir} every ${config.demo.interval_sec}s; Ctrl-C to stop\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    stop();
    return 0;
  }
  if (verb === 'status') {
    const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'none');
    const restarts = Object.entries(state.restarts).map(([k, v]) => `${k} ${v}`);
    io.out(`faulted: ${list(state.faults)}\nstubborn: ${list(state.stubborn)}\nrestarts carried out: ${list(restarts)}\n`);
    return 0;
  }
  io.err('usage: selfheal demo fault SUBSYSTEM [--stubborn] | heal [SUBSYSTEM] | status | simulate  [--config FILE]\n');
  return 3;
}
