// Issue 24, one declared configuration schema: the generated docs and JSON Schema are up to date, every
// shipped config conforms to the schema (and parses), and the schema and the parser agree on what is wrong.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { ConfigError, parseConfig } from '../../src/config/load';
import { configDocs } from '../../src/config/generate';
import { ROOT_KEYS, SECTIONS, SUBSYSTEM_KEYS } from '../../src/config/schema';
import { CHECK_MODULES } from '../../src/detect/registry';
import type { Key, Keys } from '../../src/schema/keys';
import { tempDir } from '../helpers/fs';
import { fullRawConfig } from '../helpers/full_config';
import { check, type Schema } from '../helpers/schema';

const REPO = resolve(__dirname, '../../..');
const SCHEMA = JSON.parse(readFileSync(join(REPO, 'docs/selfheal.schema.json'), 'utf8')) as Schema;
const conforms = (value: unknown) => check(SCHEMA, SCHEMA, value);

/** The keywords test/helpers/schema.ts understands (plus annotations): the schema may use no others. */
const KEYWORDS = new Set([
  '$schema',
  '$defs',
  '$ref',
  'title',
  'description',
  'default',
  'type',
  'properties',
  'additionalProperties',
  'propertyNames',
  'required',
  'enum',
  'const',
  'oneOf',
  'items',
  'minItems',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'minLength',
  'pattern',
]);

function keywordsOf(node: unknown, out = new Set<string>(), asMap = false): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => keywordsOf(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (!asMap) out.add(k);
      // The names under properties/$defs are names, not keywords; `default` and `const` hold values.
      if (k === 'default' || k === 'const' || k === 'enum') continue;
      keywordsOf(v, out, !asMap && (k === 'properties' || k === '$defs'));
    }
  }
  return out;
}

/** ```yaml blocks of the README and docs/ that are selfheal configs (every top-level key is one of ours). */
function documentedConfigs(): { where: string; raw: Record<string, unknown> }[] {
  const ours = new Set(Object.keys(SCHEMA.properties as object));
  const files = [
    'README.md',
    ...readdirSync(join(REPO, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const out: { where: string; raw: Record<string, unknown> }[] = [];
  for (const f of files) {
    const text = readFileSync(join(REPO, f), 'utf8');
    for (const m of text.matchAll(/```yaml\n([\s\S]*?)```/g)) {
      const raw = parse(m[1]) as unknown;
      if (raw && typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).every((k) => ours.has(k)))
        out.push({ where: `${f}: ${m[1].split('\n')[0]}`, raw: raw as Record<string, unknown> });
    }
  }
  return out;
}

/** The config with every `*_file` secret (e.g. /run/secrets/… of the compose stack) pointing at a file that exists here. */
function withSecrets(raw: unknown, dir: string): unknown {
  if (Array.isArray(raw)) return raw.map((v) => withSecrets(v, dir));
  if (!raw || typeof raw !== 'object') return raw;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k.endsWith('_file') && typeof v === 'string') {
      const file = join(dir, `${k}.secret`);
      writeFileSync(file, 'secret\n');
      out[k] = file;
    } else out[k] = withSecrets(v, dir);
  }
  return out;
}

describe('docs/configuration.md and docs/selfheal.schema.json', () => {
  for (const [path, text] of Object.entries(configDocs())) {
    it(`${path} is what npm run generate writes from the declarations`, () =>
      assert.equal(readFileSync(join(REPO, path), 'utf8'), text, `${path} is stale: run npm run generate`));
  }

  it('the schema uses only keywords the test validator knows (what it checks is what editors check)', () => {
    const extra = [...keywordsOf(SCHEMA)].filter((k) => !KEYWORDS.has(k));
    assert.deepEqual(extra, []);
  });

  it('every declared key is in the docs, with its reload class', () => {
    const md = readFileSync(join(REPO, 'docs/configuration.md'), 'utf8');
    const all: [string, Keys][] = [
      ['', ROOT_KEYS],
      ...Object.entries(SECTIONS),
      ['subsystems', SUBSYSTEM_KEYS],
      ...Object.entries(CHECK_MODULES).map(([t, m]) => [t, m.keys] as [string, Keys]),
    ];
    for (const [where, keys] of all)
      for (const [name, k] of Object.entries(keys) as [string, Key<unknown>][])
        assert.match(md, new RegExp(`\\| \`${name}\` \\|[^\\n]*\\| ${k.reload} \\|`), `${where}.${name}`);
  });
});

describe('every shipped config conforms to docs/selfheal.schema.json and parses', () => {
  const shipped = ['demo/selfheal.yml', 'deploy/selfheal/selfheal.yml'].map((f) => ({
    where: f,
    raw: parse(readFileSync(join(REPO, f), 'utf8')) as Record<string, unknown>,
  }));
  const root = tempDir();
  const table = [...shipped, ...documentedConfigs(), { where: 'test/helpers/full_config.ts', raw: fullRawConfig(root) }];

  it('finds the configs (demo, deploy, the README examples, the full one)', () => assert.ok(table.length >= 5, JSON.stringify(table)));
  for (const { where, raw } of table) {
    it(where, () => {
      assert.deepEqual(conforms(raw), []);
      assert.doesNotThrow(() => parseConfig(withSecrets(raw, root), root));
    });
  }

  it('the demo and deploy configs name the schema for YAML editors', () => {
    for (const [f, ref] of [
      ['demo/selfheal.yml', '../docs/selfheal.schema.json'],
      ['deploy/selfheal/selfheal.yml', '../../docs/selfheal.schema.json'],
    ]) {
      const first = readFileSync(join(REPO, f), 'utf8').split('\n')[0];
      assert.equal(first, `# yaml-language-server: $schema=${ref}`);
      assert.ok(readFileSync(join(REPO, resolve('/', f, '..', ref).slice(1))).length > 0, `${ref} from ${f}`);
    }
  });
});

describe('the schema and the parser agree', () => {
  const good: [string, Record<string, unknown>][] = [
    ['empty (the defaults)', {}],
    [
      'a built-in subsystem given another check type',
      { subsystems: { exchange_connection: { check: 'http', url: 'http://127.0.0.1:1/ping' } } },
    ],
    [
      'a built-in subsystem naming its own check type',
      { subsystems: { data_feed: { check: 'file_freshness', critical_after_sec: 7200 } } },
    ],
    ['dependents "*"', { subsystems: { orchestrator: { dependents: '*' } } }],
    ['nullable limits', { policy: { normal: { max_leverage: null }, high_risk: { max_leverage: null } } }],
    ['expect_status as one number', { subsystems: { web: { check: 'http', url: 'http://x/', expect_status: 204 } } }],
  ];
  for (const [what, raw] of good) {
    it(`both accept: ${what}`, () => {
      assert.deepEqual(conforms(raw), []);
      assert.doesNotThrow(() => parseConfig(raw, '/'));
    });
  }

  const bad: [Record<string, unknown>, RegExp][] = [
    [{ chek_interval: 5 }, /^chek_interval: unknown key$/],
    [{ check_interval: 'soon' }, /^check_interval: expected a number/],
    [{ check_interval: 0 }, /^check_interval: must be greater than 0/],
    [{ max_error_rate: 1.5 }, /^max_error_rate: must be at most 1/],
    [{ port: 1.5 }, /^port: expected a whole number/],
    [{ auto_restart_enabled: 'yes' }, /^auto_restart_enabled: expected true or false/],
    [{ api: { allowed_hosts: ['http://x'] } }, /^api\.allowed_hosts\[0\]: expected a host name/],
    [{ api: { tokn: 'x' } }, /^api\.tokn: unknown key$/],
    [{ console: { grafana_url: 'grafana' } }, /^console\.grafana_url: expected an http\(s\) URL/],
    [{ recovery: { require_approval: ['nap'] } }, /^recovery\.require_approval\[0\]: expected one of/],
    [{ recovery: { journal_synchronous: 'extra' } }, /^recovery\.journal_synchronous: expected one of normal, full/],
    [
      { recovery: { handlers: [{ action: 'pause_trading' }] } },
      /^recovery\.handlers\[0\]\.exec: a handler needs exactly one of exec, http, docker or systemd$/,
    ],
    [
      { recovery: { handlers: [{ action: 'pause_trading', exec: ['x'], http: { url: 'http://x/' } }] } },
      /^recovery\.handlers\[0\]\.exec: a handler needs exactly one of exec, http, docker or systemd$/,
    ],
    [{ recovery: { handlers: [{ exec: ['x'] }] } }, /^recovery\.handlers\[0\]\.action: required$/],
    [
      { recovery: { handlers: [{ action: 'pause_trading', exec: [] }] } },
      /^recovery\.handlers\[0\]\.exec: expected a non-empty argv list$/,
    ],
    [
      { recovery: { handlers: [{ action: 'pause_trading', http: { url: 'ftp://x' } }] } },
      /^recovery\.handlers\[0\]\.http\.url: expected an http/,
    ],
    [{ recovery: { handlers: [{ action: 'pause_trading', exec: ['x'], shell: true }] } }, /^recovery\.handlers\[0\]\.shell: unknown key$/],
    [{ receiver: { basic_auth: { password: 'x' } } }, /^receiver\.basic_auth\.username: required$/],
    [{ subsystems: { data_feed: { pth: 'x' } } }, /^subsystems\.data_feed\.pth: unknown key$/],
    [{ subsystems: { data_feed: { check: 'tcp', host: 'x' } } }, /^subsystems\.data_feed\.port: required$/],
    [{ subsystems: { mine: {} } }, /^subsystems\.mine\.check: required for a subsystem of your own/],
    [{ subsystems: { mine: { check: 'json_timestamp', path: 'x' } } }, /^subsystems\.mine\.field: required$/],
    [{ subsystems: { mine: { check: 'ping' } } }, /^subsystems\.mine\.check: expected one of/],
    [{ subsystems: { Mine: { check: 'tcp', host: 'x', port: 1 } } }, /^subsystems\.Mine: subsystem names are lower-case/],
    [
      { subsystems: { web: { check: 'http', url: 'http://x/', expect_status: 99 } } },
      /^subsystems\.web\.expect_status: expected an HTTP status/,
    ],
    [
      { subsystems: { logging: { critical_for_trading: 'maybe' } } },
      /^subsystems\.logging\.critical_for_trading: expected one of yes, partial, no/,
    ],
    [{ subsystems: { ai_model: { files: [] } } }, /^subsystems\.ai_model\.files: expected a non-empty list of file names$/],
  ];
  for (const [raw, message] of bad) {
    it(`both refuse: ${message.source}`, () => {
      assert.throws(
        () => parseConfig(raw, '/'),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
      );
      assert.notDeepEqual(conforms(raw), [], 'the schema accepts it');
    });
  }
});
