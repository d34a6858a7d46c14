// What the console's browser tests share: a live service to open it on, and pages that are checked
// for script errors and requests off the origin when each test ends.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach } from 'node:test';
import type { WebConfig } from '../../src/http/web_config';
import { closeBrowser, openConsole, type ConsolePage } from './browser';
import { configIn } from './config';
import { tempDir } from './fs';
import { healthyPlatform } from './platform';
import { startService } from './service';

/** The operator token of liveService(). */
export const CONSOLE_TOKEN = 'op-token';

/** A live service (real clock, real scheduler and file watches, the receiver) on a healthy fixture platform. */
export async function liveService(extra: Record<string, unknown> = {}, web: WebConfig | null = null) {
  const root = tempDir();
  healthyPlatform(root, Date.now());
  const config = configIn(root, {
    check_interval: 1,
    critical_check_interval: 1,
    policy: { hold_down_sec: 0 },
    api: { token: CONSOLE_TOKEN },
    receiver: { bearer_token: 'hook-token' },
    recovery: { settle_sec: 1, approval_ttl_sec: 600 },
    ...extra,
  });
  const s = await startService(config, { watchFiles: true, schedule: true, web }, { receiver: true, receiverSchedule: true });
  return { ...s, root, data: join(root, 'data') };
}

/**
 * Call once at a test file's top level: returns `open`, and every test then ends with no script
 * error, no console error and no request off the origin on the pages it opened.
 */
export function trackedConsole(): (url: string, opts?: Parameters<typeof openConsole>[1]) => Promise<ConsolePage> {
  after(closeBrowser);
  let opened: ConsolePage[] = [];
  afterEach(async () => {
    for (const c of opened) {
      await c.close();
      assert.deepEqual(c.problems, [], 'no script or console errors');
      assert.deepEqual(c.offOrigin, [], 'no request leaves the origin');
    }
    opened = [];
  });
  return async (url, opts = {}) => {
    const c = await openConsole(url, opts);
    opened.push(c);
    return c;
  };
}
