// `selfheal serve`: runs until SIGTERM/SIGINT, reloads on SIGHUP, then shuts down gracefully.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load';
import type { Config } from '../config/types';
import { systemResources } from '../detect/resources';
import { startSimulator } from '../demo/simulator';
import { createLogger, defaultLogFormat, LOG_FORMATS, LOG_LEVELS, type LogFormat } from '../log/logger';
import { createReceiver } from './receiver';
import { Reloader } from './reload';
import { Service } from './service';
import { loadWebConfig } from './web_config';

export const SERVE_USAGE = `Usage: selfheal serve [flags]

Runs the exporter, the policy API and the recovery receiver until SIGTERM/SIGINT; SIGHUP reloads.

Flags:
  --config.file FILE         config file (YAML); also --config
  --web.listen-address H:P   where to listen, e.g. 127.0.0.1:8477 or :8477 (all interfaces); also --host, --port
  --web.config.file FILE     exporter-toolkit web config: TLS, client certificates, basic_auth_users, headers
  --log.level LEVEL          fatal, error, warn, info (default), debug, trace, silent; also --log-level
  --log.format FORMAT        logfmt (default at a terminal) or json (default otherwise)
  -h, --help                 this text
`;

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
export function parseListenAddress(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port > 65535)
    throw new ConfigError(`--web.listen-address: expected host:port (e.g. 127.0.0.1:8477), got "${s}"`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? '0.0.0.0' : host, port };
}

/** Parses the serve flags (Prometheus-style beside the original ones). Throws ConfigError naming the flag. */
export function parseServeFlags(argv: string[], isTTY = Boolean(process.stdout.isTTY)): ServeFlags {
  const { values } = parseArgs({
    args: argv,
    options: {
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
    },
  });
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
  const flags = parseServeFlags(argv);
  if (flags.help) {
    out(SERVE_USAGE);
    return 0;
  }
  const load = (): Config => {
    const c = loadConfig(flags.configFile);
    if (flags.listen.host !== undefined) c.host = flags.listen.host;
    if (flags.listen.port !== undefined) c.port = flags.listen.port;
    return c;
  };
  const config = load();
  const web = flags.webConfigFile ? loadWebConfig(flags.webConfigFile) : null;
  const logger = createLogger(flags.level, undefined, flags.format);

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
  logger.info(
    { policy: svc.monitor.policy.policy, hold_down_sec: hold },
    `Policy starts at no_new_trades and steps down only after health has held for ${hold}s (policy.hold_down_sec): a fresh monitor must see health before it allows new positions`,
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
