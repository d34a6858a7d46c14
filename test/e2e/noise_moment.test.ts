// Noise never reaches close-all (issue 22), part 1: a real `selfheal serve` process, a heartbeat written by a
// real timer. A reading that is implausible (dated ahead, torn, a bad date, 2099) for a moment changes nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sleep, startNoisy, type Mode } from '../helpers/noise';

describe('e2e: implausible evidence for a moment changes nothing', () => {
  for (const [mode, ms] of [
    ['future', 1000],
    ['torn', 1000],
    ['bad_date', 1000],
    ['year_2099', 1000],
  ] as [Mode, number][]) {
    it(`${mode} for ${ms / 1000}s between valid heartbeats: allow_all throughout`, { timeout: 120_000 }, async () => {
      const p = await startNoisy();
      const from = Date.now();
      p.mode = mode;
      await sleep(ms);
      p.mode = 'valid';
      await sleep(3000);
      assert.deepEqual(p.served(from), ['allow_all']);
      assert.equal(p.restarts, 0, 'nothing was restarted');
      const m = await (await fetch(`${p.url}/metrics`)).text();
      assert.match(
        m,
        new RegExp(
          `selfheal_evidence_invalid_total\\{subsystem="event_executor",reason="${mode === 'year_2099' ? 'future' : mode}"\\} [1-9]`,
        ),
      );
    });
  }
});
