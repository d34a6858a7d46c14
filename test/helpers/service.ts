import assert from 'node:assert/strict';
import { after } from 'node:test';
import { fixedResources } from '../../src/detect/resources';
import type { Config } from '../../src/config/types';
import { silentLogger } from '../../src/log/logger';
import { Service, type ServiceDeps } from '../../src/serve/service';
import { createReceiver, type Receiver } from '../../src/serve/receiver';

export async function startService(
  config: Config,
  deps: Partial<ServiceDeps> = {},
  opts: { receiver?: boolean; receiverSchedule?: boolean } = {},
) {
  const svc = new Service(config, { resources: fixedResources(), logger: silentLogger(), watchFiles: false, schedule: false, ...deps });
  const receiver: Receiver | null = opts.receiver ? createReceiver(svc, { schedule: opts.receiverSchedule ?? false }) : null;
  if (receiver) svc.use(receiver);
  const addr = await svc.start('127.0.0.1', 0);
  const url = `http://127.0.0.1:${addr.port}`;
  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      await svc.stop();
    }
  };
  after(stop);
  return { svc, url, stop, receiver };
}

export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  getJson(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/**
 * A refused request: the status, and an `error` that says what was wrong (the field, the credential),
 * so a test of a bad input cannot pass on the status alone.
 */
export async function refused(
  answer: Promise<{ status: number; body: Record<string, unknown> }>,
  status: number,
  error: RegExp,
): Promise<void> {
  const r = await answer;
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.match(String(r.body.error), error);
}
