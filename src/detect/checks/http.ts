// HTTP probe: status code and latency (blackbox_exporter's http prober, minimal).
import type { Section } from '../../schema/reader';
import type { HealthStatus } from '../../types';
import type { Checker, CheckModule } from '../check';
import { round } from './fsutil';
import { statusKey } from './params';

/** An http check as configured: the URL, the accepted statuses and the latency limit. */
export interface HttpSpec {
  type: 'http';
  url: string;
  method: string;
  expect_status: number[];
  degraded_latency_ms: number;
  down_status: HealthStatus;
}

function parse(m: Section): HttpSpec {
  const url = m.string('url', '');
  if (!/^https?:\/\//.test(url)) m.fail('url', `expected an http(s) URL, got ${JSON.stringify(url)}`);
  const expect = m.raw_('expect_status');
  let expect_status: number[] = [];
  if (expect !== undefined) {
    const list = Array.isArray(expect) ? expect : [expect];
    if (!list.every((x) => Number.isInteger(x) && x >= 100 && x <= 599)) {
      m.fail('expect_status', `expected an HTTP status or a list of them, got ${JSON.stringify(expect)}`);
    }
    expect_status = list as number[];
  }
  return {
    type: 'http',
    url,
    method: m.string('method', 'GET').toUpperCase(),
    expect_status,
    degraded_latency_ms: m.number('degraded_latency_ms', 1000, { gt: 0 }),
    down_status: statusKey(m, 'down_status', 'critical'),
  };
}

const run: Checker<HttpSpec> = async (spec, ctx) => {
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
  if (!ok)
    return {
      status: spec.down_status,
      details: { ...details, error: `unexpected status ${res.status}` },
      root_cause: 'Unexpected HTTP status',
    };
  if (latency > spec.degraded_latency_ms) return { status: 'degraded', details, root_cause: 'Slow response' };
  return { status: 'healthy', details };
};

/** The http check type: a request's status code and latency. */
export const httpProbe: CheckModule<HttpSpec> = {
  type: 'http',
  parse,
  run,
  watches: () => null,
  thresholds: (spec) => ({ degraded_latency_ms: spec.degraded_latency_ms }),
  // The demo has no HTTP endpoints of its own to keep up or take down.
  simulate: () => undefined,
  fault: () => null,
};
