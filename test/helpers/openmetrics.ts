// A structural check of the OpenMetrics 1.0.0 text format (promtool 2.42's `check metrics` reads only
// the Prometheus text format): what Prometheus's OpenMetrics parser would reject, and the spec's MUSTs.

const SUFFIXES: Record<string, string[]> = {
  counter: ['_total', '_created'],
  gauge: [''],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
  summary: ['', '_count', '_sum', '_created'],
  info: ['_info'],
  stateset: [''],
  unknown: [''],
};
const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABELS = `\\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\n"])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\n"])*")*)?\\}`;
const NUMBER = '(?:[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]?Inf|NaN)';
const SAMPLE = new RegExp(`^(${NAME})(${LABELS})? (${NUMBER})(?: ${NUMBER})?$`);

/** The problems found; empty when the exposition is well-formed. */
export function openMetricsProblems(text: string): string[] {
  const problems: string[] = [];
  if (!text.endsWith('\n# EOF\n')) problems.push('does not end with "# EOF\\n"');
  const lines = text.slice(0, -1).split('\n');
  if (lines.filter((l) => l === '# EOF').length !== 1) problems.push('"# EOF" must appear exactly once');
  const types = new Map<string, string>();
  const closed = new Set<string>();
  let current = '';
  const enter = (family: string, where: string) => {
    if (family === current) return;
    if (closed.has(family)) problems.push(`${where}: family ${family} is not contiguous`);
    if (current) closed.add(current);
    current = family;
  };
  lines.slice(0, -1).forEach((l, i) => {
    const where = `line ${i + 1}`;
    if (l === '') return void problems.push(`${where}: empty line`);
    const meta = /^# (HELP|TYPE|UNIT) (\S+)(?: (.*))?$/.exec(l);
    if (l.startsWith('#')) {
      if (!meta) return void problems.push(`${where}: not a HELP/TYPE/UNIT line: ${l}`);
      enter(meta[2], where);
      if (meta[1] === 'TYPE') {
        if (types.has(meta[2])) problems.push(`${where}: second TYPE for ${meta[2]}`);
        if (!(meta[3] in SUFFIXES)) problems.push(`${where}: unknown type ${meta[3]}`);
        if (meta[3] === 'counter' && meta[2].endsWith('_total')) problems.push(`${where}: counter family ${meta[2]} named with _total`);
        types.set(meta[2], meta[3] ?? '');
      }
      if (meta[1] === 'HELP' && /(^|[^\\])"/.test(meta[3] ?? '')) problems.push(`${where}: unescaped " in HELP`);
      return;
    }
    const m = SAMPLE.exec(l);
    if (!m) return void problems.push(`${where}: malformed sample: ${l}`);
    const name = m[1];
    const type = types.get(current);
    if (type === undefined) return void problems.push(`${where}: sample ${name} before its family's TYPE`);
    if (!SUFFIXES[type].some((s) => name === current + s))
      problems.push(`${where}: sample ${name} does not belong to ${type} family ${current}`);
  });
  return problems;
}
