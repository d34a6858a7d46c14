// `selfheal demo fault|heal|status|simulate|reset`: drive the bundled demo.
import { parseArgs } from 'node:util';
import { join, relative } from 'node:path';
import { loadConfigFile } from '../config/load';
import type { Config } from '../config/types';
import { guard, withUsage, type Io } from '../ops/common';
import type { CommandHelp, Help } from '../ops/help';
import { UsageError } from '../ops/http';
import { faultPlan, formatFault } from './fault';
import { demoRunners, resetDemo, resetRefusal } from './reset';
import { readDemoFaults, startSimulator, writeDemoFaults } from './simulator';

const DEMO_CONFIG = join(__dirname, '..', '..', '..', 'demo', 'selfheal.yml');

/** The options `selfheal demo` parses (every one appears in a help text: test/ops/help.test.ts). */
export const DEMO_OPTIONS = {
  config: { type: 'string' },
  stubborn: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const CONFIG_FLAG = ['--config FILE', 'the demo config (default: the bundled demo/selfheal.yml)'] as const;
const DEMO_EXIT = 'Exit: 0 done, 1 refused (reset while the demo runs), 3 usage (unknown subsystem, not a demo config)';

const sub = (command: string, summary: string, usage: string, examples: string[], extra: [string, string][] = []): Help => ({
  command: `demo ${command}`,
  summary,
  usage: [`demo ${usage}`],
  flags: [...extra, CONFIG_FLAG],
  examples: examples.map((e) => `demo ${e}`),
  notes: [DEMO_EXIT],
});

/** `selfheal demo` and its subcommands' help. */
export const DEMO_HELP: CommandHelp = {
  help: {
    command: 'demo',
    summary: 'Drive the bundled demo (npm start): break a simulated subsystem, heal it, start over.',
    usage: ['demo fault|heal|status|simulate|reset [flags]'],
    flags: [CONFIG_FLAG],
    examples: ['demo fault event_executor', 'demo heal', 'demo reset'],
    notes: [DEMO_EXIT],
  },
  subcommands: [
    sub(
      'fault',
      'Break one simulated subsystem the way its check sees it (a heartbeat stops, files go missing) and say what selfheal will do.',
      'fault SUBSYSTEM [--stubborn] [--config FILE]',
      ['fault event_executor', 'fault event_executor --stubborn'],
      [['--stubborn', 'restarts do not help: the simulated supervisor restarts it, and it stays broken']],
    ),
    sub('heal', 'Repair one simulated subsystem, or all of them.', 'heal [SUBSYSTEM] [--config FILE]', ['heal', 'heal data_feed']),
    sub('status', 'Which simulated subsystems are faulted or stubborn, and the restarts carried out.', 'status [--config FILE]', [
      'status',
    ]),
    sub('simulate', 'Run the platform simulator alone (the compose stack runs it beside selfheal serve).', 'simulate [--config FILE]', [
      'simulate --config demo/selfheal.yml',
    ]),
    sub(
      'reset',
      'Back to the first start: removes the journal (actions, breaker history), the latch, floors, maintenance windows, ' +
        "override and the simulated platform under the demo config's directories. Refused while selfheal runs the demo: stop it first.",
      'reset [--config FILE]',
      ['reset && npm start'],
    ),
  ],
};

/** `selfheal demo ...`; returns the exit code. */
export async function demoCommand(argv: string[], io: Io): Promise<number> {
  return withUsage(io, DEMO_HELP, argv, DEMO_OPTIONS, async () => {
    const { values, positionals } = guard(() => parseArgs({ args: argv, options: DEMO_OPTIONS, allowPositionals: true, strict: true }));
    const file = values.config ?? DEMO_CONFIG;
    const config = loadConfigFile(file);
    const [verb, name, ...extra] = positionals;
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const known = config.subsystems.map((s) => s.name);
    if (name !== undefined && !known.includes(name)) throw new UsageError(`unknown subsystem "${name}" (one of ${known.join(', ')})`);
    switch (verb) {
      case 'fault':
        if (name === undefined) throw new UsageError(`fault: which subsystem? (one of ${known.join(', ')})`);
        return fault(config, name, values.stubborn === true, io);
      case 'heal':
        return heal(config, name, io);
      case 'status':
        return status(config, io);
      case 'simulate':
        return simulate(config, io);
      case 'reset':
        return reset(config, file, io);
      case undefined:
        throw new UsageError('demo: which command? (fault, heal, status, simulate, reset)');
      default:
        throw new UsageError(`unknown demo command "${verb}"`);
    }
  });
}

function fault(config: Config, name: string, stubborn: boolean, io: Io): number {
  const sub = config.subsystems.find((s) => s.name === name);
  const plan = sub ? faultPlan(config, sub) : null;
  if (!sub || !plan) throw new UsageError(`${name}: its ${sub?.check.type ?? ''} check probes the network; the demo cannot break it`);
  const state = readDemoFaults(config.data_dir);
  const otherFaults = state.faults.filter((f) => f !== name);
  state.faults.push(name);
  state.stubborn = stubborn ? [...state.stubborn, name] : state.stubborn.filter((s) => s !== name);
  writeDemoFaults(config.data_dir, state);
  io.out(formatFault(config, plan, { stubborn, otherFaults, url: `http://${config.host}:${config.port}` }));
  return 0;
}

function heal(config: Config, name: string | undefined, io: Io): number {
  const state = readDemoFaults(config.data_dir);
  state.faults = name ? state.faults.filter((f) => f !== name) : [];
  state.stubborn = state.stubborn.filter((s) => state.faults.includes(s));
  writeDemoFaults(config.data_dir, state);
  io.out(`${name ?? 'all subsystems'}: repaired (the simulator writes fresh evidence again)\n`);
  return 0;
}

function status(config: Config, io: Io): number {
  const state = readDemoFaults(config.data_dir);
  const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'none');
  const restarts = Object.entries(state.restarts).map(([k, v]) => `${k} ${v}`);
  io.out(`faulted: ${list(state.faults)}\nstubborn: ${list(state.stubborn)}\nrestarts carried out: ${list(restarts)}\n`);
  return 0;
}

async function simulate(config: Config, io: Io): Promise<number> {
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

function reset(config: Config, file: string, io: Io): number {
  const refusal = resetRefusal(config, file);
  if (refusal) throw new UsageError(`reset: ${refusal}`);
  const running = demoRunners(config);
  if (running.length) {
    const who = running.map((r) => `pid ${r.pid} (${r.command})`).join(', ');
    io.err(
      `selfheal demo reset: the demo is running on these files: ${who}.\n` +
        'A running selfheal keeps its journal open and its floors, override and breaker in memory, and would write them back.\n' +
        'Stop it first (Ctrl-C in its terminal), then: selfheal demo reset, and start it again (npm start).\n',
    );
    return 1;
  }
  const removed = resetDemo(config, file);
  const shown = removed.map((d) => relative(process.cwd(), d) || d).join(', ');
  io.out(
    removed.length
      ? `reset: removed ${shown} (journal and breaker history, latch, floors, maintenance windows, override, simulated platform).\n` +
          'The demo starts as new: npm start (or selfheal serve --config ...).\n'
      : 'reset: nothing to remove; the demo is at its first start already.\n',
  );
  return 0;
}
