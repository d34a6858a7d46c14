import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ageSeconds, nextAgeTransition, statusForAge } from '../../src/detect/thresholds';
import { statusForCount } from '../../src/detect/checks/file_set';

describe('statusForAge at the guide boundaries', () => {
  const cases: [string, number, number, number, string][] = [
    // name, age, degraded_after, critical_after, expected
    ['data feed 299s', 299, 300, 3600, 'healthy'],
    ['data feed exactly 300s (≤ threshold)', 300, 300, 3600, 'healthy'],
    ['data feed 301s', 301, 300, 3600, 'degraded'],
    ['data feed 59:59 min', 3599, 300, 3600, 'degraded'],
    ['data feed 60:01 min', 3601, 300, 3600, 'critical'],
    ['executor 59s', 59, 60, 300, 'healthy'],
    ['executor 61s', 61, 60, 300, 'degraded'],
    ['executor 4:59', 299, 60, 300, 'degraded'],
    ['executor 5:01', 301, 60, 300, 'critical'],
    ['brand new', 0, 60, 300, 'healthy'],
  ];
  for (const [name, age, d, c, want] of cases) {
    it(`${name} → ${want}`, () => assert.equal(statusForAge(age, { degraded_after_sec: d, critical_after_sec: c }), want));
  }
});

describe('nextAgeTransition', () => {
  const t = { degraded_after_sec: 60, critical_after_sec: 300 };
  it('fresh evidence turns degraded just after the first limit', () => assert.equal(nextAgeTransition(0, 10_000, t), 60_001));
  it('degraded evidence turns critical just after the second limit', () => assert.equal(nextAgeTransition(0, 61_000, t), 300_001));
  it('critical evidence has no further transition', () => assert.equal(nextAgeTransition(0, 400_000, t), undefined));
});

describe('ageSeconds', () => {
  it('evidence from the future counts as age 0', () => assert.equal(ageSeconds(2000, 1000), 0));
});

describe('ai_model model counts (file_set 3/2)', () => {
  const spec = { healthy_min: 3, degraded_min: 2 };
  for (const [n, want] of [
    [4, 'healthy'],
    [3, 'healthy'],
    [2, 'degraded'],
    [1, 'critical'],
    [0, 'critical'],
  ] as const) {
    it(`${n} models → ${want}`, () => assert.equal(statusForCount(n, spec), want));
  }
});
