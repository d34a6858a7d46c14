import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTimestamp } from '../../../src/detect/checks/json_timestamp';

const NOON = Date.UTC(2026, 10, 29, 12, 0, 0);

describe('parseTimestamp: numbers are epochs, seconds up to 1e11 and milliseconds beyond', () => {
  const cases: [string, number, number | null][] = [
    ['seconds', 1_795_953_600, NOON],
    ['milliseconds', NOON, NOON],
    ['fractional seconds', 1_795_953_600.5, NOON + 500],
    ['1e11 exactly is seconds (year 5138)', 1e11, 1e14],
    ['just above 1e11 is milliseconds (1973)', 1e11 + 1, 1e11 + 1],
    ['zero is the epoch', 0, 0],
    ['a negative number is seconds too', -1, -1000],
    ['NaN', NaN, null],
    ['Infinity', Infinity, null],
    ['-Infinity', -Infinity, null],
  ];
  for (const [name, v, want] of cases) it(`${name}: ${v} → ${want}`, () => assert.equal(parseTimestamp(v), want));
});

describe('parseTimestamp: strings are ISO-8601, a missing offset meaning UTC', () => {
  const cases: [string, string, number | null][] = [
    ['Z', '2026-11-29T12:00:00Z', NOON],
    ['no zone is UTC', '2026-11-29T12:00:00', NOON],
    ['space for T', '2026-11-29 12:00:00', NOON],
    ['lower-case t and z', '2026-11-29t12:00:00z', NOON],
    ['no seconds', '2026-11-29T12:00', NOON],
    ['microseconds keep the milliseconds', '2026-11-29T12:00:00.123456', NOON + 123],
    ['+02:00', '2026-11-29T12:00:00+02:00', NOON - 2 * 3600_000],
    ['+0200 without a colon', '2026-11-29T12:00:00+0200', NOON - 2 * 3600_000],
    ['-05:30', '2026-11-29T12:00:00-05:30', NOON + 5.5 * 3600_000],
    ['surrounding whitespace', ' 2026-11-29T12:00:00Z\n', NOON],
    ['a numeric string is not an epoch', '1795953600', null],
    ['a date alone', '2026-11-29', null],
    ['a time alone', '12:00:00', null],
    ['month 13', '2026-13-01T00:00:00Z', null],
    ['hour 25', '2026-11-29T25:00:00Z', null],
    ['a space before the zone', '2026-11-29T12:00:00 Z', null],
    ['junk', 'yesterday', null],
    ['empty', '', null],
  ];
  for (const [name, v, want] of cases) it(`${name}: ${JSON.stringify(v)} → ${want}`, () => assert.equal(parseTimestamp(v), want));
});

describe('parseTimestamp: anything else is not a timestamp', () => {
  for (const v of [null, undefined, true, {}, [], [NOON]]) {
    it(`${JSON.stringify(v) ?? 'undefined'} → null`, () => assert.equal(parseTimestamp(v), null));
  }
});
