import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';
import type { Config } from '../../src/config/types';
import { startService } from './service';

export async function startWithReceiver(config: Config, opts: { clock?: () => number; schedule?: boolean } = {}) {
  const r = await startService(config, { clock: opts.clock }, { receiver: true, receiverSchedule: opts.schedule });
  return { ...r, receiver: r.receiver! };
}

export interface TestAlert {
  status?: 'firing' | 'resolved';
  labels: Record<string, string>;
  fingerprint?: string;
  startsAt?: string;
}

export function delivery(alerts: TestAlert[]) {
  return {
    version: '4',
    status: alerts.every((a) => a.status === 'resolved') ? 'resolved' : 'firing',
    receiver: 'selfheal-recovery',
    groupKey: '{}:{}',
    truncatedAlerts: 0,
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: alerts.map((a) => ({
      status: a.status ?? 'firing',
      labels: { alertname: 'SelfHealSubsystemCritical', instance: 'trader-1:8477', job: 'selfheal', severity: 'warning', ...a.labels },
      annotations: { summary: 'test' },
      startsAt: a.startsAt ?? '2026-11-29T12:00:00Z',
      endsAt: a.status === 'resolved' ? '2026-11-29T12:05:00Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus/graph',
      fingerprint: a.fingerprint ?? 'a1fe52deddb23a30',
    })),
  };
}

export async function postHook(url: string, body: unknown, auth = 'Bearer hook-token') {
  const res = await fetch(`${url}/alertmanager/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* non-JSON error page */
  }
  return { status: res.status, body: json };
}

/** An HTTP handler target that holds every request until released. */
export async function holdingServer() {
  const held: { body: Record<string, string>; res: ServerResponse }[] = [];
  const srv = createServer((req: IncomingMessage, res) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => held.push({ body: JSON.parse(b) as Record<string, string>, res }));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  after(() => {
    for (const h of held) h.res.destroy();
    srv.closeAllConnections();
    srv.close();
  });
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/`;
  return { held, url, release: (i: number) => held[i].res.end('done') };
}

export const httpHandler = (action: string, url: string) => ({ action, http: { url, method: 'POST' }, timeout_sec: 120 });
