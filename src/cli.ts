// `selfheal` command line: check, serve, demo.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/load';
import { systemResources } from './detect/resources';
import { formatHandlerProbe, probeHandlers, runCycle } from './engine/cycle';
import { exitCodeFor, formatReport } from './engine/format';
import { writeReportAtomic } from './engine/report_file';
import { VERSION } from './version';
import { serveCommand } from './serve/main';
import { demoCommand } from './demo/command';
import { policyCommand } from './ops/policy';
import { recoveryCommand } from './ops/recovery';
import { fleetCommand } from './ops/fleet';
import { generateCommand } from './ops/generate';

export const EXIT_CONFIG = 3;

const USAGE = `selfheal ${VERSION}

Usage:
  selfheal check [--config.file FILE] [--json]   run one health cycle; exit 0 healthy, 1 degraded, 2 critical/failed, 3 unknown/error
  selfheal serve [--config.file FILE] [--web.listen-address HOST:PORT] [--web.config.file FILE]
                 [--log.level LEVEL] [--log.format logfmt|json]
                                                  run the exporter, policy API and recovery receiver (SIGHUP reloads)
  selfheal demo fault SUBSYSTEM [--config FILE]  stop one simulated subsystem's heartbeat (demo only)
  selfheal demo heal [SUBSYSTEM] [--config FILE] resume simulated heartbeats
  selfheal demo status [--config FILE]           which simulated subsystems are faulted
  selfheal demo simulate [--config FILE]         run the platform simulator alone (for the compose stack)
  selfheal COMMAND --help                         usage of one command

Operator commands (talk to a running service: --url URL, default http://127.0.0.1:8477; token from env
SELFHEAL_API_TOKEN or --token-file FILE; --json for the raw JSON; exit 0 done, 1 refused by the service (4xx,
message shown), 2 unreachable or 5xx, 3 usage):
  selfheal policy [status]                        the served policy
  selfheal policy reset --reason TEXT             release a latched emergency_shutdown
  selfheal policy override --policy P --duration 10m --reason TEXT | --lift
  selfheal recovery pending | history [--limit N]
  selfheal recovery approve|reject ID --reason TEXT
  selfheal recovery maintenance list | start [--subsystem X] --duration 10m --reason TEXT | stop [--subsystem X]

Fleet (an inventory of instances; see README "Fleet"):
  selfheal generate fleet --inventory FILE --out DIR   Alertmanager routes per instance, Prometheus file_sd targets
  selfheal fleet policy status|override|reset --inventory FILE [--match label=value]...
                                                  every matching host at once; a row per host; exit non-zero unless all confirmed

The original flags still work: --config, --host, --port, --log-level.
`;

const CHECK_USAGE = `Usage: selfheal check [--config.file FILE] [--json]

Runs one health cycle, writes the report to data_dir and prints it. Line 1 is the monitoring-plugin status
line with perfdata; exit 0 healthy, 1 degraded, 2 critical or failed, 3 unknown or could not run.
Each recovery handler's target (a container, a unit, a program) is looked up, never acted on, and
reported on stderr, one line each ("ok" or "CANNOT BE USED: why"); it does not change the exit code,
which is the platform's health alone.

Flags:
  --config.file FILE   config file (YAML); also --config. Without it the guide's defaults apply.
  --json               print the report JSON alone
  -h, --help           this text
`;

type Io = { out: (s: string) => void; err: (s: string) => void };
const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

async function check(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      'config.file': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(CHECK_USAGE);
    return 0;
  }
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

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'check':
        return await check(rest, io);
      case 'serve':
        return await serveCommand(rest, io.out);
      case 'demo':
        return await demoCommand(rest, io);
      case 'policy':
        return await policyCommand(rest, io);
      case 'recovery':
        return await recoveryCommand(rest, io);
      case 'fleet':
        return await fleetCommand(rest, io);
      case 'generate':
        return await generateCommand(rest, io);
      case 'version':
      case '--version':
        io.out(`${VERSION}\n`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return cmd === undefined ? EXIT_CONFIG : 0;
      default:
        io.err(`selfheal: unknown command "${cmd}"\n\n${USAGE}`);
        return EXIT_CONFIG;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`selfheal: ${err.message}\n`);
      return EXIT_CONFIG;
    }
    const code = (err as { code?: string }).code;
    if (code && code.startsWith('ERR_PARSE_ARGS')) {
      io.err(`selfheal: ${(err as Error).message}\n\n${USAGE}`);
      return EXIT_CONFIG;
    }
    throw err;
  }
}
