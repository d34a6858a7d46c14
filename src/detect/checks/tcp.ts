// TCP connect probe.
import { createConnection } from 'node:net';
import type { TcpSpec } from '../../config/types';
import type { Checker } from '../check';
import { round } from './fsutil';

export const tcpProbe: Checker<TcpSpec> = (spec, ctx) =>
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
      resolve(latency > spec.degraded_latency_ms ? { status: 'degraded', details, root_cause: 'Slow connect' } : { status: 'healthy', details });
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
