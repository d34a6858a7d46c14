// `selfheal serve`: runs until SIGTERM/SIGINT, then shuts down gracefully.
import { parseArgs } from 'node:util';
import { createReceiver } from '../execute/receiver';
import { ConfigError, loadConfig } from '../config/load';
import { systemResources } from '../detect/resources';
import { startSimulator } from '../demo/simulator';
import { createLogger } from './logger';
import { Service } from './service';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, 'log-level': { type: 'string' } },
  });
  const config = loadConfig(values.config);
  if (values.port !== undefined) {
    const p = Number(values.port);
    if (!Number.isInteger(p) || p < 0 || p > 65535) throw new ConfigError(`--port: expected a port number, got "${values.port}"`);
    config.port = p;
  }
  if (values.host !== undefined) config.host = values.host;
  const level = values['log-level'] ?? 'info';
  if (!LEVELS.includes(level)) throw new ConfigError(`--log-level: expected one of ${LEVELS.join(', ')}, got "${level}"`);
  const logger = createLogger(level);

  const svc = new Service(config, { resources: systemResources, logger });
  // Before the simulator starts: a journal that is not one is a ConfigError (exit 3), and nothing may keep the process alive.
  await attachReceiver(svc);
  const stopSim = config.demo.enabled ? startSimulator(config) : null;
  let addr;
  try {
    addr = await svc.start();
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'could not start');
    stopSim?.();
    await svc.stop();
    return 1;
  }
  logger.info({ host: addr.address, port: addr.port, subsystems: svc.monitor.subsystems.length, demo: config.demo.enabled }, `selfheal listening on http://${addr.address}:${addr.port}/`);

  await new Promise<void>((resolve) => {
    const bye = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', () => bye('SIGTERM'));
    process.once('SIGINT', () => bye('SIGINT'));
  });
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
  if (!svc.config.receiver.enabled) return;
  svc.use(createReceiver(svc));
}
