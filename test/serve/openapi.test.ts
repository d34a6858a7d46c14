import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { configIn } from '../helpers/config';
import { tempDir } from '../helpers/fs';
import { healthyPlatform } from '../helpers/platform';
import { allRefs, check, resolveRef, type Schema } from '../helpers/schema';
import { post, startService } from '../helpers/service';
import { openSse } from '../helpers/sse';

const DOC = parse(readFileSync(resolve(__dirname, '../../../docs/openapi.yaml'), 'utf8')) as Schema;
const PATHS = DOC.paths as Record<string, Record<string, Schema>>;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/**
 * Routes documented from the contracts of BRIEF.md that the lead's issue-11 branch serves and this branch
 * does not yet. The test asserts they are still 404 here, so once they are merged it fails until they
 * are removed from this set — and from then on they are checked like every other route.
 */
const NOT_YET_SERVED = new Set<string>();

function operations(): { method: string; path: string; op: Schema }[] {
  return Object.entries(PATHS).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ method: m.toUpperCase(), path, op: item[m] })),
  );
}

/** The response object for a status, $refs followed. */
function response(op: Schema, status: string): Schema | undefined {
  const r = (op.responses as Record<string, Schema>)[status];
  return r && typeof r.$ref === 'string' ? resolveRef(DOC, r.$ref) : r;
}

/** Checks status, content type and (for JSON) the body against the documented response. */
async function conforms(res: Response, op: Schema, status: string, what: string): Promise<void> {
  assert.equal(String(res.status), status, `${what}: documented ${status}, got ${res.status}`);
  const r = response(op, status);
  assert.ok(r, `${what}: ${status} is not documented`);
  const content = (r.content ?? {}) as Record<string, Schema>;
  const type = (res.headers.get('content-type') ?? '').split(';')[0].trim();
  assert.ok(type in content, `${what}: content type ${type} not among ${Object.keys(content).join(', ')}`);
  if (type === 'application/json') {
    const body: unknown = await res.json();
    const errs = check(DOC, content[type].schema as Schema, body);
    assert.deepEqual(errs, [], `${what}: body does not match the document:\n${errs.join('\n')}`);
  } else {
    await res.body?.cancel();
  }
}

async function liveService() {
  const root = tempDir();
  healthyPlatform(root, Date.now());
  const config = configIn(root, { policy: { hold_down_sec: 0 }, api: { token: 'op' }, receiver: { bearer_token: 'hook' } });
  const started = await startService(config, {}, { receiver: true });
  // One alert whose action needs approval: /recovery/pending and /recovery/history then hold a real record.
  const alert = {
    status: 'firing',
    labels: { alertname: 'SelfHealTest', subsystem: 'data_feed', action: 'close_all_positions', severity: 'critical' },
    annotations: {},
    startsAt: new Date().toISOString(),
    fingerprint: 'abc123',
  };
  const delivered = await post(`${started.url}/alertmanager/webhook`, { version: '4', alerts: [alert] }, { authorization: 'Bearer hook' });
  assert.equal(delivered.status, 200);
  return started;
}

describe('docs/openapi.yaml', () => {
  it('is OpenAPI 3.1 and every $ref resolves', () => {
    assert.equal(DOC.openapi, '3.1.0');
    for (const ref of allRefs(DOC)) assert.doesNotThrow(() => resolveRef(DOC, ref), ref);
  });

  it('every GET without path parameters answers with the documented status and required properties', async () => {
    const { url } = await liveService();
    const gets = operations().filter((o) => o.method === 'GET' && !o.path.includes('{'));
    assert.ok(gets.length >= 10);
    for (const { path, op } of gets) {
      const ac = new AbortController();
      const res = await fetch(url + path, { signal: ac.signal, headers: op.security ? { authorization: 'Bearer op' } : {} });
      if (NOT_YET_SERVED.has(`GET ${path}`)) {
        assert.equal(res.status, 404, `GET ${path} is served now: remove it from NOT_YET_SERVED`);
        await res.body?.cancel();
        continue;
      }
      const ok = Object.keys(op.responses as object)
        .filter((s) => s.startsWith('2'))
        .sort()[0];
      await conforms(res, op, ok, `GET ${path}`);
      ac.abort();
    }
    for (const list of ['/recovery/pending', '/recovery/history']) {
      const items = (await (await fetch(url + list, { headers: { authorization: 'Bearer op' } })).json()) as unknown[];
      assert.ok(items.length > 0, `${list} held a record, so its item schema was exercised`);
    }
  });

  it("the stream's events carry the documented PolicyView and PolicyRefresh", async () => {
    const { url } = await liveService();
    const sse = await openSse(`${url}/policy/stream`);
    try {
      const schemas = (DOC.components as { schemas: Record<string, Schema> }).schemas;
      assert.deepEqual(check(DOC, schemas.PolicyView, await sse.next('policy')), []);
      await post(`${url}/health/force-check`, {});
      assert.deepEqual(check(DOC, schemas.PolicyRefresh, await sse.next('refresh')), []);
    } finally {
      sse.close();
    }
  });

  it('every secured operation answers 401 without credentials, as documented; the open POST conforms', async () => {
    const { url } = await liveService();
    for (const { method, path, op } of operations()) {
      if (method === 'GET') continue;
      const target = url + path.replace(/\{[^}]+\}/g, 'nope');
      const res = await fetch(target, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'DELETE' ? undefined : '{}',
      });
      const what = `${method} ${path}`;
      if (NOT_YET_SERVED.has(what)) {
        assert.equal(res.status, 404, `${what} is served now: remove it from NOT_YET_SERVED`);
        await res.body?.cancel();
      } else if (op.security) {
        await conforms(res, op, '401', what);
      } else {
        await conforms(res, op, '200', what);
      }
    }
  });

  it('documents every route the service mounts', async () => {
    const { svc, receiver } = await liveService();
    const documented = new Set(operations().map((o) => `${o.method} ${o.path}`));
    const router = (svc.app as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }).router;
    const mounted = router.stack.flatMap((l) =>
      l.route ? Object.keys(l.route.methods).map((m) => `${m.toUpperCase()} ${l.route!.path.replace(/:(\w+)/g, '{$1}')}`) : [],
    );
    mounted.push(...Object.keys(receiver?.raw ?? {}));
    assert.ok(mounted.length >= 15);
    const undocumented = mounted.filter((r) => !documented.has(r));
    assert.deepEqual(undocumented, [], 'add these to docs/openapi.yaml');
  });
});
