// TCP connect probe.
import { createConnection } from 'node:net';
import { num, readKeys, str } from '../../schema/keys';
import type { Section } from '../../schema/reader';
import type { HealthStatus } from '../../types';
import type { Checker, CheckModule } from '../check';
import { round } from './fsutil';
import { latencyKey, statusKey } from './params';

/** A tcp check as configured: the address and the latency limit. */
export interface TcpSpec {
  type: 'tcp';
  host: string;
  port: number;
  degraded_latency_ms: number;
  down_status: HealthStatus;
}

/** Its keys, declared once (docs, JSON Schema, validation). */
const KEYS = {
  host: str({ required: true, reload: 'live', description: 'Host to connect to.' }),
  port: num({ required: true, min: 1, max: 65535, int: true, reload: 'live', description: 'Port to connect to.' }),
  degraded_latency_ms: latencyKey(),
  down_status: statusKey('critical', 'Status when the connection fails.'),
};

function parse(m: Section): TcpSpec {
  return { type: 'tcp', ...readKeys(m, KEYS) };
}

const run: Checker<TcpSpec> = (spec, ctx) =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const sock = createConnection({ host: spec.host, port: spec.port });
    const onAbort = () => {
      sock.destroy();
      reject(new Error('connect aborted'));
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    sock.once('connect', () => {
      const latency = performance.now() - started;
      ctx.signal.removeEventListener('abort', onAbort);
      sock.destroy();
      const details = { target: `${spec.host}:${spec.port}`, latency_ms: round(latency, 2) };
      resolve(
        latency > spec.degraded_latency_ms ? { status: 'degraded', details, root_cause: 'Slow connect' } : { status: 'healthy', details },
      );
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      ctx.signal.removeEventListener('abort', onAbort);
      resolve({
        status: spec.down_status,
        details: { target: `${spec.host}:${spec.port}`, error: `connect failed: ${err.code ?? err.message}` },
        root_cause: 'Endpoint unreachable',
      });
    });
  });

/** The tcp check type: a connect and its latency. */
export const tcpProbe: CheckModule<TcpSpec> = {
  type: 'tcp',
  keys: KEYS,
  parse,
  run,
  watches: () => null,
  thresholds: (spec) => ({ degraded_latency_ms: spec.degraded_latency_ms }),
  // The demo has no TCP endpoints of its own to keep up or take down.
  simulate: () => undefined,
  fault: () => null,
};
