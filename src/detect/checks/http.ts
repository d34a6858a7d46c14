// HTTP probe: status code and latency (blackbox_exporter's http prober, minimal).
import { custom, HTTP_URL, readKeys, str } from '../../schema/keys';
import type { Section } from '../../schema/reader';
import type { HealthStatus } from '../../types';
import type { Checker, CheckModule } from '../check';
import { round } from './fsutil';
import { latencyKey, statusKey } from './params';

/** An http check as configured: the URL, the accepted statuses and the latency limit. */
export interface HttpSpec {
  type: 'http';
  url: string;
  method: string;
  expect_status: number[];
  degraded_latency_ms: number;
  down_status: HealthStatus;
}

const STATUS = { type: 'integer', minimum: 100, maximum: 599 };

/** Its keys, declared once (docs, JSON Schema, validation). */
const KEYS = {
  url: str({ required: true, pattern: HTTP_URL, reload: 'live', description: 'What to request.' }),
  method: str({ default: 'GET', reload: 'live', description: 'HTTP method.' }),
  expect_status: custom<number[]>(
    'HTTP status, or a list of them',
    { defaultText: 'any 2xx or 3xx', reload: 'live', description: 'The statuses that count as up.' },
    (m, k) => {
      const expect = m.raw_(k);
      if (expect === undefined || expect === null) return [];
      const list = Array.isArray(expect) ? expect : [expect];
      if (!list.every((x) => Number.isInteger(x) && x >= 100 && x <= 599)) {
        m.fail(k, `expected an HTTP status or a list of them, got ${JSON.stringify(expect)}`);
      }
      return list as number[];
    },
    () => ({ oneOf: [STATUS, { type: 'array', items: STATUS }] }),
  ),
  degraded_latency_ms: latencyKey(),
  down_status: statusKey('critical', 'Status when the request fails or answers another status.'),
};

function parse(m: Section): HttpSpec {
  const v = readKeys(m, KEYS);
  return { type: 'http', ...v, method: v.method.toUpperCase() };
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
  keys: KEYS,
  parse,
  run,
  watches: () => null,
  thresholds: (spec) => ({ degraded_latency_ms: spec.degraded_latency_ms }),
  // The demo has no HTTP endpoints of its own to keep up or take down.
  simulate: () => undefined,
  fault: () => null,
};
