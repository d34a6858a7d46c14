// `selfheal` command line: one table of commands (COMMANDS), each with its help, options and runner.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/load';
import { systemResources } from './detect/resources';
import { formatHandlerProbe, probeHandlers, runCycle } from './engine/cycle';
import { exitCodeFor, formatReport } from './engine/format';
import { writeReportAtomic } from './engine/report_file';
import { VERSION } from './version';
import { serveCommand, SERVE_HELP, SERVE_OPTIONS } from './serve/main';
import { DEMO_HELP, DEMO_OPTIONS, demoCommand } from './demo/command';
import { POLICY_HELP, POLICY_OPTIONS, policyCommand } from './ops/policy';
import { RECOVERY_HELP, RECOVERY_OPTIONS, recoveryCommand } from './ops/recovery';
import { FLEET_HELP, FLEET_OPTIONS, fleetCommand } from './ops/fleet';
import { GENERATE_HELP, GENERATE_OPTIONS, generateCommand } from './ops/generate';
import type { Options } from './ops/common';
import { helpFor, scanArgs, type CommandHelp } from './ops/help';

export const EXIT_CONFIG = 3;

/** The options `selfheal check` parses. */
const CHECK_OPTIONS = {
  config: { type: 'string' },
  'config.file': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const CHECK_HELP: CommandHelp = {
  help: {
    command: 'check',
    summary:
      'Runs one health cycle, writes the report to data_dir and prints it. Line 1 is the monitoring-plugin status line with perfdata.',
    usage: ['check [--config.file FILE] [--json]'],
    flags: [
      ['--config.file, --config FILE', "config file (YAML). Without it the guide's defaults apply"],
      ['--json', 'print the report JSON alone'],
    ],
    examples: ['check --config demo/selfheal.yml', 'check --config demo/selfheal.yml --json'],
    notes: [
      'Exit: 0 healthy, 1 degraded, 2 critical or failed, 3 unknown or could not run (bad config: the message names the key)',
      'Each recovery handler\'s target (a container, a unit, a program) is looked up, never acted on, and reported on stderr, one line each ("ok" or "CANNOT BE USED: why"); it does not change the exit code',
    ],
  },
  subcommands: [],
};

const VERSION_HELP: CommandHelp = {
  help: { command: 'version', summary: 'Prints the version.', usage: ['version', '--version'], flags: [], examples: ['version'] },
  subcommands: [],
};

const HELP_HELP: CommandHelp = {
  help: {
    command: 'help',
    summary: "Lists every command, or prints one command's help.",
    usage: ['help [COMMAND [SUBCOMMAND]]'],
    flags: [],
    examples: ['help', 'help demo fault'],
  },
  subcommands: [],
};

/** One command of the CLI: its help, the options it parses, and what runs it. */
export interface Command {
  help: CommandHelp;
  options: Options;
  run(argv: string[], io: Io): Promise<number>;
}

/**
 * Every command, in the order the usage lists them. The help test walks this table (and each
 * command's subcommands), so a command cannot be added without its help.
 */
export const COMMANDS: Record<string, Command> = {
  check: { help: CHECK_HELP, options: CHECK_OPTIONS, run: (argv, io) => check(argv, io) },
  serve: { help: SERVE_HELP, options: SERVE_OPTIONS, run: (argv, io) => serveCommand(argv, io.out) },
  demo: { help: DEMO_HELP, options: DEMO_OPTIONS, run: (argv, io) => demoCommand(argv, io) },
  policy: { help: POLICY_HELP, options: POLICY_OPTIONS, run: (argv, io) => policyCommand(argv, io) },
  recovery: { help: RECOVERY_HELP, options: RECOVERY_OPTIONS, run: (argv, io) => recoveryCommand(argv, io) },
  fleet: { help: FLEET_HELP, options: FLEET_OPTIONS, run: (argv, io) => fleetCommand(argv, io) },
  generate: { help: GENERATE_HELP, options: GENERATE_OPTIONS, run: (argv, io) => generateCommand(argv, io) },
  version: { help: VERSION_HELP, options: { help: { type: 'boolean', short: 'h' } }, run: (argv, io) => version(argv, io) },
  help: { help: HELP_HELP, options: { help: { type: 'boolean', short: 'h' } }, run: (argv, io) => help(argv, io) },
};

/** The global usage, from the table: every command's and subcommand's summary. */
function usage(): string {
  const lines = [`selfheal ${VERSION}`, '', 'Usage: selfheal COMMAND [SUBCOMMAND] [flags]', '', 'Commands:'];
  const all = Object.values(COMMANDS).flatMap((c) => [c.help.help, ...c.help.subcommands]);
  const width = Math.max(...all.map((h) => h.command.length));
  for (const h of all) lines.push(`  selfheal ${h.command.padEnd(width)}  ${h.summary.split('. ')[0].replace(/\.$/, '')}`);
  lines.push(
    '',
    'Run "selfheal COMMAND --help" (or -h) for its flags and an example, e.g. selfheal demo fault --help.',
    'Operator commands (policy, recovery) talk to a running service: --url (default http://127.0.0.1:8477), token from',
    'env SELFHEAL_API_TOKEN or --token-file FILE. The original serve/check flags still work: --config, --host, --port, --log-level.',
  );
  return lines.join('\n') + '\n';
}

type Io = { out: (s: string) => void; err: (s: string) => void };
const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

async function check(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args: argv, options: CHECK_OPTIONS });
  const config = loadConfig(values['config.file'] ?? values.config);
  const [{ report }, handlers] = await Promise.all([
    runCycle(config, { clock: Date.now, resources: systemResources }),
    probeHandlers(config),
  ]);
  for (const h of handlers) io.err(formatHandlerProbe(h));
  try {
    writeReportAtomic(config.report_path, report);
  } catch (err) {
    io.err(`warning: could not write ${config.report_path}: ${(err as Error).message}\n`);
  }
  io.out(values.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report, config));
  return exitCodeFor(report.overall_status);
}

async function version(argv: string[], io: Io): Promise<number> {
  if (argv.length) throw Object.assign(new Error(`version takes no arguments, got "${argv[0]}"`), { code: 'ERR_PARSE_ARGS_UNEXPECTED' });
  io.out(`${VERSION}\n`);
  return 0;
}

async function help(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.out(usage());
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.err(`selfheal: unknown command "${name}"\n\n${usage()}`);
    return EXIT_CONFIG;
  }
  io.out(helpFor(cmd.help, rest));
  return 0;
}

/** Runs `selfheal ARGV`; returns the exit code. `-h`/`--help` after any command prints that command's help, exit 0. */
export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    io.out(usage());
    return EXIT_CONFIG;
  }
  if (cmd === '--help' || cmd === '-h') return help([], io);
  if (cmd === '--version') return version([], io);
  const command = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!command) {
    io.err(`selfheal: unknown command "${cmd}"\n\n${usage()}`);
    return EXIT_CONFIG;
  }
  const asked = scanArgs(rest, command.options);
  try {
    if (asked.help) {
      io.out(helpFor(command.help, asked.words));
      return 0;
    }
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`selfheal: ${err.message}\n`);
      return EXIT_CONFIG;
    }
    const code = (err as { code?: string }).code;
    if (code && code.startsWith('ERR_PARSE_ARGS')) {
      io.err(`selfheal: ${(err as Error).message}\n\n${helpFor(command.help, asked.words)}`);
      return EXIT_CONFIG;
    }
    throw err;
  }
}
