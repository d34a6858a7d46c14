// One home for each shared fact: every enum of docs/openapi.yaml is one of src/'s tables (or a union
// type's members, listed here so the compiler refuses a missing or unknown one), in the table's order;
// and the docs' lists of actions are the ones the action table and the handlers imply.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import type { ConsoleConfigView } from '../../src/console/routes';
import { CHECK_TYPES } from '../../src/detect/registry';
import type { JournalRecord } from '../../src/execute/journal';
import { OUTCOME, OWN_FAULT, TRANSITIONS } from '../../src/execute/record';
import { STAGES } from '../../src/execute/status';
import type { AlertIn } from '../../src/execute/webhook';
import type { SupervisorEvidence } from '../../src/handlers/handler';
import { SUPERVISOR_OPS, supervisorOp } from '../../src/handlers/ops';
import { HANDLER_MODULES } from '../../src/handlers/registry';
import { ACTIONS } from '../../src/recommend/actions';
import { CLOSE_POSITIONS } from '../../src/recommend/directives';
import { selectAction } from '../../src/recommend/recommendations';
import {
  BUILTIN_SUBSYSTEMS,
  HEALTH_STATUSES,
  ISSUE_SEVERITIES,
  OVERRIDE_POLICIES,
  RECOVERY_ACTIONS,
  SAFETY_POLICIES,
  SYSTEM_SUBSYSTEM,
  TRADING_CRITICALITIES,
} from '../../src/types';

const ROOT = resolve(__dirname, '../../..');
const DOC = parse(readFileSync(join(ROOT, 'docs/openapi.yaml'), 'utf8')) as unknown;

/** A union type's members: the Record makes the compiler refuse a missing member, the literal an unknown one. */
const members = <T extends string>(r: Record<T, true>): T[] => Object.keys(r) as T[];

const SCHEMAS = '/components/schemas';
/** Each enum of the document, by its JSON path, and the table (or union) it must equal. */
const ENUMS: Record<string, { table: readonly string[]; from: string }> = {
  [`${SCHEMAS}/SafetyPolicy`]: { table: SAFETY_POLICIES, from: 'SAFETY_POLICIES (src/types.ts)' },
  [`${SCHEMAS}/HealthStatus`]: { table: HEALTH_STATUSES, from: 'HEALTH_STATUSES (src/types.ts)' },
  [`${SCHEMAS}/IssueSeverity`]: { table: ISSUE_SEVERITIES, from: 'ISSUE_SEVERITIES (src/types.ts)' },
  [`${SCHEMAS}/RecoveryAction`]: { table: RECOVERY_ACTIONS, from: 'RECOVERY_ACTIONS (src/types.ts)' },
  [`${SCHEMAS}/ClosePositions`]: { table: CLOSE_POSITIONS, from: 'CLOSE_POSITIONS (src/recommend/directives.ts)' },
  [`${SCHEMAS}/OverrideRequest/properties/policy`]: { table: OVERRIDE_POLICIES, from: 'OVERRIDE_POLICIES (src/types.ts)' },
  [`${SCHEMAS}/RecordState`]: {
    table: [
      ...Object.keys(TRANSITIONS),
      ...members<Exclude<JournalRecord['state'], keyof typeof TRANSITIONS>>({ ignored: true, resolved: true }),
    ],
    from: "TRANSITIONS' states (src/execute/record.ts), then ignored and resolved",
  },
  [`${SCHEMAS}/RecordOutcome`]: {
    table: [...new Set([...Object.values(OUTCOME), OWN_FAULT])],
    from: 'OUTCOME (src/execute/record.ts) and OWN_FAULT; `interrupted` is a metric label only, never a record outcome',
  },
  [`${SCHEMAS}/JournalRecord/properties/status`]: {
    table: members<JournalRecord['status']>({ firing: true, resolved: true }),
    from: "JournalRecord['status']",
  },
  [`${SCHEMAS}/WebhookPayload/properties/alerts/items/properties/status`]: {
    table: members<AlertIn['status']>({ firing: true, resolved: true }),
    from: "AlertIn['status'] (src/execute/webhook.ts)",
  },
  [`${SCHEMAS}/SupervisorEvidence/properties/kind`]: {
    table: members<SupervisorEvidence['kind']>({ docker: true, systemd: true }),
    from: "SupervisorEvidence['kind'] (src/handlers/handler.ts)",
  },
  [`${SCHEMAS}/SupervisorEvidence/properties/op`]: { table: SUPERVISOR_OPS, from: 'SUPERVISOR_OPS (src/handlers/ops.ts)' },
  [`${SCHEMAS}/RecoveryStage`]: { table: STAGES, from: 'STAGES (src/execute/status.ts)' },
  [`${SCHEMAS}/ConsoleConfig/properties/token_header`]: {
    table: members<ConsoleConfigView['token_header']>({ Authorization: true, 'X-Selfheal-Token': true }),
    from: "ConsoleConfigView['token_header'] (src/console/routes.ts)",
  },
  [`${SCHEMAS}/ConsoleConfig/properties/subsystems/items/properties/criticality`]: {
    table: TRADING_CRITICALITIES,
    from: 'TRADING_CRITICALITIES (src/types.ts)',
  },
  [`${SCHEMAS}/ConsoleConfig/properties/subsystems/items/properties/check`]: {
    table: CHECK_TYPES,
    from: 'CHECK_TYPES (src/detect/registry.ts)',
  },
};

/** Every `enum` in the document, by the JSON path of the schema that holds it. */
function enumsOf(node: unknown, path = ''): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  if (Array.isArray(node)) node.forEach((n, i) => enumsOf(n, `${path}/${i}`).forEach((v, k) => out.set(k, v)));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'enum') out.set(path, v as unknown[]);
      else enumsOf(v, `${path}/${k}`).forEach((e, p) => out.set(p, e));
    }
  }
  return out;
}

describe('docs/openapi.yaml: every enum is a table of src/', () => {
  const found = enumsOf(DOC);

  it('every enum in the document is one this test checks (a new enum names its table here)', () => {
    assert.deepEqual(
      [...found.keys()].filter((p) => !(p in ENUMS)),
      [],
    );
    assert.deepEqual(
      Object.keys(ENUMS).filter((p) => !found.has(p)),
      [],
      'and every one listed here is in the document',
    );
  });

  for (const [path, { table, from }] of Object.entries(ENUMS)) {
    it(`${path.replace(`${SCHEMAS}/`, '')} equals ${from}`, () => assert.deepEqual(found.get(path), [...table]));
  }

  it('supervisor evidence comes from handler kinds the registry has', () => {
    for (const kind of ENUMS[`${SCHEMAS}/SupervisorEvidence/properties/kind`].table) assert.ok(kind in HANDLER_MODULES, kind);
  });
});

/** README.md and docs/*.md, each as one line of text (a list may wrap). */
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
].map((f) => ({
  file: f,
  text: readFileSync(join(ROOT, f), 'utf8').replace(/\s*\n\s*/g, ' '),
}));

const ALL_FLAGS = { auto_restart_enabled: true, auto_pause_on_critical: true };
const SUBJECTS = [...BUILTIN_SUBSYSTEMS, SYSTEM_SUBSYSTEM];
/** What the guide's selection may choose and run by itself (both auto flags on, the defaults). */
const autoSelected = new Set(
  ISSUE_SEVERITIES.flatMap((severity) =>
    SUBJECTS.map((subsystem) => selectAction({ subsystem, severity }, ALL_FLAGS)).filter((s) => s.can_auto_execute),
  ).map((s) => s.action),
);
const supervised = (a: (typeof RECOVERY_ACTIONS)[number]) => SUPERVISOR_OPS.some((op) => 'op' in supervisorOp(a, op));

/** Lists of actions written in prose, found by the words before them, and the set the tables imply. */
const LISTS: { before: string; end: string; want: string[] }[] = [
  { before: "executes the guide's auto-executable recommendation itself (", end: ')', want: [...autoSelected] },
  {
    before: 'protective actions (those with a policy floor: ',
    end: ')',
    want: RECOVERY_ACTIONS.filter((a) => ACTIONS[a].policy_floor !== undefined),
  },
  { before: 'A `docker` or `systemd` handler for a trading action (', end: ')', want: RECOVERY_ACTIONS.filter((a) => !supervised(a)) },
  {
    before: 'Supervisor restarts are for the remediation actions: ',
    end: '.',
    want: RECOVERY_ACTIONS.filter((a) => 'op' in supervisorOp(a, null)),
  },
];

describe('README.md and docs/: lists of actions are the tables', () => {
  for (const { before, end, want } of LISTS) {
    it(`"${before}…"`, () => {
      const hits = DOCS.flatMap(({ file, text }) => {
        const at = text.indexOf(before);
        if (at < 0) return [];
        const list = text.slice(at + before.length, text.indexOf(end, at + before.length));
        return [{ file, names: [...list.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]) }];
      });
      assert.ok(hits.length > 0, `no document says "${before}" any more: change this list's words, or remove it`);
      for (const { file, names } of hits) assert.deepEqual([...names].sort(), [...want].sort(), file);
    });
  }
});
