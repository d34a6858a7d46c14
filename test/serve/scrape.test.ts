// /metrics as scrapers see it: gzip, OpenMetrics negotiation, process/nodejs metrics, build info;
// compressed bytes made once per render; and real Prometheus scraping with its own negotiation.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { LARGE_PLATFORM } from '../../src/util/slices';
import { BUILTIN_SUBSYSTEMS } from '../../src/types';
import { formatOf, gzipOf } from '../../src/metrics/exposition';
import { configIn } from '../helpers/config';
import { tempDir } from '../helpers/fs';
import { openMetricsProblems } from '../helpers/openmetrics';
import { healthyPlatform } from '../helpers/platform';
import { until } from '../helpers/process';
import { startService } from '../helpers/service';
import { startPrometheus } from '../helpers/stack';

/** Prometheus 2.x's Accept header for scrapes. */
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A GET that keeps the bytes as sent (fetch would decompress them). */
function get(url: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

function platform(subsystems: Record<string, unknown> = {}) {
  const root = tempDir();
  healthyPlatform(root, Date.now());
  return configIn(root, { policy: { hold_down_sec: 0 }, subsystems });
}

function extraSubsystems(n: number): Record<string, unknown> {
  // Missing files: each reports critical, which is as good as healthy for the exposition's size.
  return Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`svc_${i}`, { check: 'file_presence', path: `extra/svc_${i}.json`, critical_for_trading: 'no' }]),
  );
}

const samples = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#'));
/** prom-client writes NaN as `Nan` in the text format (Prometheus reads either); OpenMetrics says `NaN`. */
const nan = (lines: string[]) => lines.map((l) => l.replace(/ Nan$/, ' NaN'));

describe('negotiation', () => {
  const formats: [string | undefined, 'text' | 'openmetrics'][] = [
    [undefined, 'text'],
    ['*/*', 'text'],
    ['text/plain;version=0.0.4', 'text'],
    [PROMETHEUS_ACCEPT, 'openmetrics'],
    ['application/openmetrics-text; version=1.0.0; charset=utf-8', 'openmetrics'],
    ['application/openmetrics-text', 'openmetrics'],
    ['application/openmetrics-text;version=0.0.1', 'text'],
    ['application/openmetrics-text;version=1.0.0;q=0.4,text/plain;q=0.5', 'text'],
    ['application/openmetrics-text;version=1.0.0;q=0', 'text'],
    ['text/html,application/xhtml+xml,*/*;q=0.8', 'text'],
  ];
  for (const [accept, want] of formats) it(`Accept ${accept ?? '(none)'} → ${want}`, () => assert.equal(formatOf(accept), want));
  const encodings: [string | undefined, boolean][] = [
    [undefined, false],
    ['identity', false],
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['br;q=1.0, gzip;q=0.8, *;q=0.1', true],
    ['gzip;q=0', false],
    ['*', true],
    ['deflate', false],
  ];
  for (const [ae, want] of encodings)
    it(`Accept-Encoding ${ae ?? '(none)'} → ${want ? 'gzip' : 'identity'}`, () => assert.equal(gzipOf(ae), want));
});

describe('scrapes', () => {
  for (const [label, extra] of [
    [`${BUILTIN_SUBSYSTEMS.length} subsystems`, 0],
    [`${LARGE_PLATFORM + 100} subsystems (sliced, gzipped in the thread pool)`, LARGE_PLATFORM + 100 - BUILTIN_SUBSYSTEMS.length],
  ] as const) {
    it(`${label}: each format's gzip body decompresses to exactly its plain body`, async () => {
      const { svc, url } = await startService(platform(extraSubsystems(extra)));
      await svc.metrics.render();
      for (const accept of ['*/*', PROMETHEUS_ACCEPT]) {
        const plain = await get(`${url}/metrics`, { accept });
        const gz = await get(`${url}/metrics`, { accept, 'accept-encoding': 'gzip' });
        assert.equal(plain.headers['content-encoding'], undefined);
        assert.equal(gz.headers['content-encoding'], 'gzip');
        assert.equal(gz.headers.vary, 'Accept, Accept-Encoding');
        assert.equal(gz.headers['content-type'], plain.headers['content-type']);
        assert.equal(Number(gz.headers['content-length']), gz.body.length);
        assert.equal(Number(plain.headers['content-length']), plain.body.length);
        assert.ok(gz.body.length < plain.body.length / 4, `${gz.body.length} vs ${plain.body.length}`);
        assert.ok(gunzipSync(gz.body).equals(plain.body), accept);
      }
    });
  }

  it('the gzip body is made once per render and format, never per scrape', async () => {
    const { svc, url } = await startService(platform());
    await svc.metrics.render();
    const gz = { 'accept-encoding': 'gzip' };
    const c0 = svc.metrics.compressions;
    for (let i = 0; i < 5; i++) await get(`${url}/metrics`);
    assert.equal(svc.metrics.compressions, c0, 'plain scrapes compress nothing');
    const first = await get(`${url}/metrics`, gz);
    for (let i = 0; i < 9; i++) assert.ok((await get(`${url}/metrics`, gz)).body.equals(first.body));
    assert.equal(svc.metrics.compressions, c0 + 1, '10 gzip scrapes, 1 compression');
    for (let i = 0; i < 3; i++) await get(`${url}/metrics`, { ...gz, accept: PROMETHEUS_ACCEPT });
    assert.equal(svc.metrics.compressions, c0 + 2, 'OpenMetrics is gzipped once too');
    await svc.monitor.forceCheck();
    await svc.metrics.render();
    for (let i = 0; i < 3; i++) await get(`${url}/metrics`, gz);
    assert.equal(svc.metrics.compressions, c0 + 3, 'a new cycle: one more');
  });

  it('OpenMetrics: well-formed, ends with # EOF, counters named per the spec, the same samples as the text format', async () => {
    const { url } = await startService(platform(), {}, { receiver: true });
    const om = await get(`${url}/metrics`, { accept: PROMETHEUS_ACCEPT });
    const text = await get(`${url}/metrics`);
    assert.equal(om.headers['content-type'], 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    assert.equal(text.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const body = om.body.toString('utf8');
    assert.ok(body.endsWith('\n# EOF\n'));
    assert.deepEqual(openMetricsProblems(body), []);
    for (const family of [
      'selfheal_policy_changes',
      'selfheal_recovery_actions',
      'selfheal_subsystem_check_errors',
      'selfheal_webhook_alerts_received',
      'process_cpu_seconds',
    ]) {
      assert.match(body, new RegExp(`^# TYPE ${family} counter$`, 'm'), family);
    }
    assert.match(body, /^selfheal_subsystem_check_errors_total\{subsystem="data_feed"\} 0$/m);
    assert.match(body, /^# TYPE selfheal_recovery_action_duration_seconds histogram$/m);
    assert.deepEqual(samples(body).sort(), nan(samples(text.body.toString('utf8'))).sort());
    // The checker itself rejects what it should.
    assert.notDeepEqual(openMetricsProblems(text.body.toString('utf8')), []);
  });

  it('process_* and nodejs_* are read on the cycle, not at scrape time; the text format stays promtool-clean', async () => {
    const { svc, url } = await startService(platform());
    await svc.metrics.render();
    const a = (await get(`${url}/metrics`)).body.toString('utf8');
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_open_fds',
      'process_start_time_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_version_info',
    ]) {
      assert.match(a, new RegExp(`^${name}(\\{[^}]*\\})? \\S+$`, 'm'), name);
    }
    assert.doesNotMatch(a, /^nodejs_active_handles_total /m);
    let burn = 0;
    for (let i = 0; i < 2e6; i++) burn += Math.sqrt(i); // CPU time that only a fresh read would show
    assert.ok(burn > 0);
    assert.equal((await get(`${url}/metrics`)).body.toString('utf8'), a, 'no cycle, no new process figures');
    await svc.monitor.forceCheck();
    await svc.metrics.render();
    const b = (await get(`${url}/metrics`)).body.toString('utf8');
    const cpu = (t: string) => Number(/^process_cpu_seconds_total (\S+)$/m.exec(t)?.[1]);
    assert.ok(cpu(b) > cpu(a), `${cpu(b)} > ${cpu(a)}`);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: b, encoding: 'utf8' });
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);
    assert.equal((lint.stdout + lint.stderr).trim(), '');
  });

  it('selfheal_build_info carries version, revision and nodejs_version', async () => {
    const { url } = await startService(platform());
    const text = (await get(`${url}/metrics`)).body.toString('utf8');
    const m = /^selfheal_build_info\{version="([^"]+)",revision="([^"]+)",nodejs_version="([^"]+)"\} 1$/m.exec(text);
    assert.ok(m, 'selfheal_build_info{version, revision, nodejs_version}');
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { version: string };
    assert.equal(m[1], pkg.version);
    let built = 'unknown';
    try {
      built = (JSON.parse(readFileSync(join(__dirname, '../../src/build_info.json'), 'utf8')) as { revision: string }).revision;
    } catch {
      /* built without scripts/build-info.js */
    }
    assert.equal(m[2], built);
    assert.match(m[2], /^([0-9a-f]{40}|unknown)$/);
    assert.equal(m[3], process.version);
  });
});

describe('real Prometheus', () => {
  it('scrapes with its own negotiation (OpenMetrics, gzip) and stores every family', { timeout: 120_000 }, async () => {
    const { url } = await startService(platform(), { schedule: true }, { receiver: true });
    // A recording proxy between Prometheus and selfheal: what was asked, what was answered.
    const seen: { accept: string; encoding: string; type: string; contentEncoding: string }[] = [];
    const target = new URL(url);
    const proxy = createServer((req, res) => {
      const up = request({ host: target.hostname, port: target.port, path: req.url, headers: req.headers }, (r) => {
        seen.push({
          accept: String(req.headers.accept),
          encoding: String(req.headers['accept-encoding']),
          type: String(r.headers['content-type']),
          contentEncoding: String(r.headers['content-encoding']),
        });
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    after(() => new Promise((r) => proxy.close(r)));
    const prom = await startPrometheus({ targets: [`127.0.0.1:${(proxy.address() as AddressInfo).port}`], rules: 'groups: []\n' });
    await until(
      'two scrapes',
      async () => Number((await prom.query('count_over_time(up{job="selfheal"}[1m])')).result[0]?.value?.[1] ?? 0) >= 2,
    );
    assert.equal((await prom.query('up{job="selfheal"}')).result[0]?.value?.[1], '1');
    assert.ok(seen.length >= 1);
    assert.match(seen[0].accept, /^application\/openmetrics-text;version=1\.0\.0/);
    assert.match(seen[0].encoding, /gzip/);
    assert.equal(seen[0].type, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    assert.equal(seen[0].contentEncoding, 'gzip');
    const one = async (expr: string) => (await prom.query(expr)).result.length;
    assert.equal(await one('selfheal_subsystem_check_errors_total'), BUILTIN_SUBSYSTEMS.length);
    assert.equal(await one('selfheal_policy_changes_total'), 1);
    assert.equal(await one('selfheal_webhook_alerts_received_total'), 2);
    assert.equal(await one('selfheal_build_info{revision!="",nodejs_version!=""}'), 1);
    assert.equal(await one('process_cpu_seconds_total'), 1);
    assert.equal(await one('nodejs_heap_size_used_bytes'), 1);
    assert.equal(await one('selfheal_recovery_action_duration_seconds_count'), 0, 'no observations yet, no series');
    const scraped = Number((await prom.query('scrape_samples_scraped{job="selfheal"}')).result[0]?.value?.[1]);
    const served = samples((await get(`${url}/metrics`)).body.toString('utf8')).length;
    assert.ok(
      Math.abs(scraped - served) <= 10,
      `Prometheus stored ${scraped} samples of ${served} (process figures may differ by a GC kind)`,
    );
  });
});
