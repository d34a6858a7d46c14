import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globToRegExp } from '../../../src/detect/checks/newest_file';

describe('globToRegExp: * and ? are the only wildcards, the whole name must match', () => {
  const cases: [string, string, boolean][] = [
    ['*.log', 'trader.log', true],
    ['*.log', '.log', true],
    ['*.log', 'trader.log.1', false],
    ['*.log', 'trader.logs', false],
    ['*.log', 'traderXlog', false],
    ['trader.log', 'traderXlog', false],
    ['log_*', 'log_2026', true],
    ['log_*', 'xlog_2026', false],
    ['*', '', true],
    ['*', 'anything.at.all', true],
    ['?.log', 'a.log', true],
    ['?.log', 'ab.log', false],
    ['?.log', '.log', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'acb', false],
    ['[ab].log', 'a.log', false],
    ['[ab].log', '[ab].log', true],
    ['a+b', 'aab', false],
    ['a+b(1){2}|c^$\\d', 'a+b(1){2}|c^$\\d', true],
    ['a+b(1){2}|c^$\\d', 'ab1', false],
  ];
  for (const [glob, name, want] of cases) {
    it(`${JSON.stringify(glob)} ${want ? 'matches' : 'does not match'} ${JSON.stringify(name)}`, () =>
      assert.equal(globToRegExp(glob).test(name), want));
  }
  it('anchors both ends and escapes the dot', () => assert.equal(globToRegExp('*.log').source, '^.*\\.log$'));
});
