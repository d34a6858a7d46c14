// The slice scheduler and the sliced report serializer.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fixedResources } from '../../src/detect/resources';
import { runCycle } from '../../src/engine/cycle';
import { jsonChunks, jsonPieces } from '../../src/engine/report_file';
import { runSliced, runToEnd, SLICE_MS, type Steps } from '../../src/util/slices';
import { configIn } from '../helpers/config';
import { NOW, clockAt, tempDir, writeAged } from '../helpers/fs';

function* counted(n: number, log: string[], name: string, spinMs = 0): Steps<number> {
  for (let i = 0; i < n; i++) {
    const until = performance.now() + spinMs;
    while (performance.now() < until);
    log.push(`${name}${i}`);
    yield;
  }
  return n;
}

describe('slices', () => {
  it('unsliced runs straight through, before the caller goes on', async () => {
    const log: string[] = [];
    const p = runSliced(counted(3, log, 'a'), false);
    assert.deepEqual(log, ['a0', 'a1', 'a2']);
    assert.equal(await p, 3);
    assert.equal(runToEnd(counted(2, [], 'b')), 2);
  });

  it('sliced jobs start on a later turn and finish first come, first served', async () => {
    const log: string[] = [];
    const a = runSliced(counted(3, log, 'a'));
    const b = runSliced(counted(2, log, 'b'));
    assert.deepEqual(log, [], "nothing runs in the caller's turn");
    assert.deepEqual(await Promise.all([a, b]), [3, 2]);
    assert.deepEqual(log, ['a0', 'a1', 'a2', 'b0', 'b1']);
  });

  it('a long job lets other callbacks run between its slices', async () => {
    const log: string[] = [];
    const steps = 20;
    // Each step spins longer than a quarter of a slice, so one turn holds at most a few of them.
    const job = runSliced(counted(steps, log, 's', SLICE_MS / 2));
    let seenAt = -1;
    setImmediate(() => (seenAt = log.length));
    await job;
    assert.ok(seenAt > 0 && seenAt < steps, `the other callback ran after ${seenAt} of ${steps} steps`);
  });

  it('a job that throws rejects, and the jobs after it still run', async () => {
    const log: string[] = [];
    function* bad(): Steps<void> {
      yield;
      throw new Error('boom');
    }
    const first = runSliced(bad());
    const second = runSliced(counted(2, log, 'c'));
    await assert.rejects(first, /boom/);
    assert.equal(await second, 2);
  });
});

describe('the report serialized in pieces', () => {
  const cases: [string, unknown][] = [
    ['empty object', {}],
    ['empty array', []],
    ['scalars', { a: 1, b: 'x"y\\z\n', c: true, d: null, e: -0.5, f: 'é€😀' }],
    ['undefined and functions are skipped in objects, null in arrays', { a: undefined, b: () => 1, c: [undefined, () => 1, 2], d: 1 }],
    ['toJSON', { when: new Date(0), nested: { when: new Date(1) } }],
    ['non-finite numbers', { a: NaN, b: [Infinity] }],
    ['deep', { a: { b: { c: { d: [1, { e: [2, 3] }] } } }, z: [[[]]] }],
  ];
  for (const [name, value] of cases) {
    it(`${name}: joined pieces equal JSON.stringify at every depth`, () => {
      for (let depth = 0; depth <= 4; depth++)
        assert.equal([...jsonPieces(value, depth)].join(''), JSON.stringify(value), `depth ${depth}`);
    });
  }

  it('a real report: the chunks are exactly JSON.stringify of it', async () => {
    const root = tempDir();
    const config = configIn(root);
    writeAged(join(root, 'data', 'universe_snapshot.json'), '{"symbols":["BTCUSDT"]}', 320);
    writeAged(join(root, 'models', 'xgb_model.pkl'), 'm', 100);
    const { report } = await runCycle(config, { clock: clockAt(NOW), resources: fixedResources({ cpu_ratio: 0.95, memory_ratio: 0.5 }) });
    assert.ok(report.detected_issues.length > 0 && report.recovery_recommendations.length > 0);
    const chunks = await runSliced(jsonChunks(report, 2));
    assert.equal(Buffer.concat(chunks).toString('utf8'), JSON.stringify(report));
  });

  it('a report too big for one chunk is split at 64 KiB and loses nothing', () => {
    const big = {
      subsystem_health: Object.fromEntries(
        Array.from({ length: 3000 }, (_, i) => [`svc_${i}`, { subsystem: `svc_${i}`, status: 'healthy', details: { path: `/x/${i}` } }]),
      ),
    };
    const chunks = runToEnd(jsonChunks(big, 2));
    assert.ok(chunks.length > 1, `${chunks.length} chunks`);
    assert.equal(Buffer.concat(chunks).toString('utf8'), JSON.stringify(big));
  });
});
