// `selfheal serve`: runs until SIGTERM/SIGINT, reloads on SIGHUP, then shuts down gracefully.
import { parseArgs } from 'node:util';
import { ConfigError, fileSets, loadConfig } from '../config/load';
import type { Config } from '../config/types';
import { systemResources } from '../detect/resources';
import { startSimulator } from '../demo/simulator';
import { formatHelp, scanArgs, type CommandHelp } from '../ops/help';
import { createLogger, defaultLogFormat, LOG_FORMATS, LOG_LEVELS, type LogFormat } from '../log/logger';
import { createReceiver } from './receiver';
import { Reloader } from './reload';
import { Service } from './service';
import { loadWebConfig } from '../http/web_config';

/** The options `selfheal serve` parses (every one appears in its help: test/ops/help.test.ts). */
export const SERVE_OPTIONS = {
  config: { type: 'string' },
  'config.file': { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'web.listen-address': { type: 'string' },
  'web.config.file': { type: 'string' },
  'log-level': { type: 'string' },
  'log.level': { type: 'string' },
  'log.format': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `selfheal serve --help`. */
export const SERVE_HELP: CommandHelp = {
  help: {
    command: 'serve',
    summary: 'Runs the exporter, the policy API and the recovery receiver until SIGTERM/SIGINT; SIGHUP reloads the config.',
    usage: [
      'serve [--config.file FILE] [--web.listen-address HOST:PORT] [--web.config.file FILE] [--log.level LEVEL] [--log.format FORMAT]',
    ],
    flags: [
      ['--config.file, --config FILE', "config file (YAML). Without it the guide's defaults apply"],
      ['--web.listen-address H:P', 'where to listen, e.g. 127.0.0.1:8477 or :8477 (all interfaces)'],
      ['--host HOST, --port PORT', 'the same, the original flags (not with --web.listen-address)'],
      ['--web.config.file FILE', 'exporter-toolkit web config: TLS, client certificates, basic_auth_users, headers'],
      ['--log.level, --log-level LEVEL', 'fatal, error, warn, info (default), debug, trace, silent'],
      ['--log.format FORMAT', 'logfmt (default at a terminal) or json (default otherwise)'],
    ],
    examples: ['serve --config.file /etc/selfheal/selfheal.yml --web.listen-address 127.0.0.1:8477', 'serve --config demo/selfheal.yml'],
    notes: ['Exit: 0 after SIGTERM/SIGINT, 1 could not start, 3 bad config or flags (the message names the key)'],
  },
  subcommands: [],
};

export interface ServeFlags {
  configFile: string | undefined;
  webConfigFile: string | null;
  listen: { host?: string; port?: number };
  level: string;
  format: LogFormat;
  help: boolean;
}

function oneOf(values: Record<string, unknown>, a: string, b: string): string | undefined {
  const x = values[a] as string | undefined;
  const y = values[b] as string | undefined;
  if (x !== undefined && y !== undefined && x !== y) throw new ConfigError(`--${a} and --${b} disagree ("${x}" vs "${y}"); give one`);
  return x ?? y;
}

/** `host:port`, `[v6]:port` or `:port` (all interfaces), as Prometheus's --web.listen-address. */
function parseListenAddress(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port > 65535)
    throw new ConfigError(`--web.listen-address: expected host:port (e.g. 127.0.0.1:8477), got "${s}"`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? '0.0.0.0' : host, port };
}

/** Parses the serve flags (Prometheus-style beside the original ones). Throws ConfigError naming the flag. */
export function parseServeFlags(argv: string[], isTTY = Boolean(process.stdout.isTTY)): ServeFlags {
  const { values } = parseArgs({ args: argv, options: SERVE_OPTIONS });
  const listen: ServeFlags['listen'] = {};
  if (values['web.listen-address'] !== undefined) {
    if (values.host !== undefined || values.port !== undefined)
      throw new ConfigError('--web.listen-address: give it or --host/--port, not both');
    Object.assign(listen, parseListenAddress(values['web.listen-address']));
  }
  if (values.port !== undefined) {
    const p = Number(values.port);
    if (!Number.isInteger(p) || p < 0 || p > 65535) throw new ConfigError(`--port: expected a port number, got "${values.port}"`);
    listen.port = p;
  }
  if (values.host !== undefined) listen.host = values.host;
  const level = oneOf(values, 'log.level', 'log-level') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new ConfigError(`--log.level: expected one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  const format = values['log.format'] ?? defaultLogFormat(isTTY);
  if (!(LOG_FORMATS as readonly string[]).includes(format))
    throw new ConfigError(`--log.format: expected one of ${LOG_FORMATS.join(', ')}, got "${format}"`);
  return {
    configFile: oneOf(values, 'config.file', 'config'),
    webConfigFile: values['web.config.file'] ?? null,
    listen,
    level,
    format: format as LogFormat,
    help: values.help ?? false,
  };
}

/** The listener keys the config file sets and a command-line flag overrides with another value. */
function masked(c: Config, listen: ServeFlags['listen']): { key: string; file: string; flag: string; used: string }[] {
  const out = [];
  if (listen.host !== undefined && fileSets(c, 'host') && c.host !== listen.host)
    out.push({ key: 'host', file: c.host, flag: '--web.listen-address/--host', used: listen.host });
  if (listen.port !== undefined && fileSets(c, 'port') && c.port !== listen.port)
    out.push({ key: 'port', file: String(c.port), flag: '--web.listen-address/--port', used: String(listen.port) });
  return out;
}

/** A listener that cannot be had (port taken, unknown host): one line, exit 3 — not a log record. */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): ConfigError | null {
  const why: Record<string, string> = {
    EADDRINUSE: 'address already in use',
    EADDRNOTAVAIL: 'address not available on this host',
    EACCES: 'permission denied',
    ENOTFOUND: 'unknown host',
    EAI_AGAIN: 'host name lookup failed',
  };
  if (!err.code || !(err.code in why)) return null;
  return new ConfigError(`cannot listen on ${host}:${port}: ${why[err.code]} (${err.code})`);
}

export async function serveCommand(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  if (scanArgs(argv, SERVE_OPTIONS).help) {
    out(formatHelp(SERVE_HELP.help));
    return 0;
  }
  const flags = parseServeFlags(argv);
  const logger = createLogger(flags.level, undefined, flags.format);
  // At start and on every reload: a file value a flag masks is said, not silently ignored.
  const load = (): Config => {
    const c = loadConfig(flags.configFile);
    for (const m of masked(c, flags.listen)) logger.warn(m, `${m.key}: ${m.file} in the config file is masked by ${m.flag} (${m.used})`);
    if (flags.listen.host !== undefined) c.host = flags.listen.host;
    if (flags.listen.port !== undefined) c.port = flags.listen.port;
    return c;
  };
  const config = load();
  const web = flags.webConfigFile ? loadWebConfig(flags.webConfigFile) : null;

  const svc = new Service(config, { resources: systemResources, logger, web });
  new Reloader(svc, { loadConfig: load, webConfigFile: flags.webConfigFile });
  // Before the simulator starts: a journal that is not one is a ConfigError (exit 3), and nothing may keep the process alive.
  await attachReceiver(svc);
  const stopSim = config.demo.enabled ? startSimulator(config, logger.child({ component: 'demo-simulator' })) : null;
  let addr;
  try {
    addr = await svc.start();
  } catch (err) {
    stopSim?.();
    await svc.stop();
    const oneLine = listenError(err as NodeJS.ErrnoException, config.host, config.port);
    if (oneLine) throw oneLine;
    logger.fatal({ err: (err as Error).message }, 'could not start');
    return 1;
  }
  const scheme = web?.tls ? 'https' : 'http';
  logger.info(
    {
      host: addr.address,
      port: addr.port,
      subsystems: svc.monitor.subsystems.length,
      demo: config.demo.enabled,
      tls: Boolean(web?.tls),
      basic_auth: (web?.users.size ?? 0) > 0,
    },
    `selfheal listening on ${scheme}://${addr.address}:${addr.port}/`,
  );
  const hold = config.policy.hold_down_sec;
  const served = svc.policy();
  logger.info(
    { policy: served.policy, hold_down_sec: hold, reasons: served.reasons },
    svc.monitor.policy.isLatched
      ? `Serving ${served.policy}: latched before this start; it holds until POST /policy/reset`
      : `Serving ${served.policy}; it steps down only after health has held for ${hold}s (policy.hold_down_sec): a fresh monitor must see health before it allows new positions`,
  );

  const onHup = () => void svc.reloader?.();
  process.on('SIGHUP', onHup);
  await new Promise<void>((resolve) => {
    const bye = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', () => bye('SIGTERM'));
    process.once('SIGINT', () => bye('SIGINT'));
  });
  process.off('SIGHUP', onHup);
  stopSim?.();
  await svc.stop();
  logger.flush();
  // A recovery handler still running past the grace period must not hold the exit: it is journaled
  // as running and comes back after a restart as "interrupted, needs approval".
  setImmediate(() => process.exit(0));
  return 0;
}

/** The recovery receiver lives in EXECUTE; it plugs into the service when enabled. */
async function attachReceiver(svc: Service): Promise<void> {
  // The executor serves both the Alertmanager webhook and the local recovery path.
  if (!svc.config.receiver.enabled && !svc.config.recovery.local) return;
  svc.use(createReceiver(svc));
}
