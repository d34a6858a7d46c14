// HTTP probe: status code and latency (blackbox_exporter's http prober, minimal).
import type { HttpSpec } from '../../config/types';
import type { Checker } from '../check';
import { round } from './fsutil';

export const httpProbe: Checker<HttpSpec> = async (spec, ctx) => {
  const started = performance.now();
  let res: Response;
  try {
    res = await fetch(spec.url, { method: spec.method, signal: ctx.signal, redirect: 'manual' });
    await res.arrayBuffer();
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    return { status: spec.down_status, details: { url: spec.url, error: `request failed: ${cause}` }, root_cause: 'Endpoint unreachable' };
  }
  const latency = performance.now() - started;
  const ok = spec.expect_status.length ? spec.expect_status.includes(res.status) : res.status >= 200 && res.status < 400;
  const details = { url: spec.url, http_status: res.status, latency_ms: round(latency, 2) };
  if (!ok) return { status: spec.down_status, details: { ...details, error: `unexpected status ${res.status}` }, root_cause: 'Unexpected HTTP status' };
  if (latency > spec.degraded_latency_ms) return { status: 'degraded', details, root_cause: 'Slow response' };
  return { status: 'healthy', details };
};
