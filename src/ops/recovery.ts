// `selfheal recovery [pending|approve|reject|history|maintenance]`: the recovery receiver of one running selfheal.
import { UsageError, call, parseDuration } from './http';
import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, guard, report, required, table, targetOf, when, withUsage, type Io } from './common';
import { OPERATOR_EXIT, OPERATOR_FLAGS, type CommandHelp, type Help } from './help';
import type { WindowView } from '../execute/maintenance';
import type { RecordView } from '../execute/routes';
import { stateWords } from '../execute/state_words';
import type { RecoveryStatus } from '../execute/status';

/** The options `selfheal recovery` parses (every one appears in a help text: test/ops/help.test.ts). */
export const RECOVERY_OPTIONS = {
  ...COMMON_OPTIONS,
  reason: { type: 'string' },
  limit: { type: 'string' },
  subsystem: { type: 'string' },
  duration: { type: 'string' },
} as const;

const withReason = (verb: string): Help => ({
  command: `recovery ${verb}`,
  summary:
    verb === 'approve'
      ? 'Run an action that waits for approval (its ID from "recovery pending").'
      : 'Drop an action that waits for approval.',
  usage: [`recovery ${verb} ID --reason TEXT [flags]`],
  flags: [['--reason TEXT', 'why (required; recorded with the decision)'], ...OPERATOR_FLAGS],
  examples: [`recovery ${verb} 3f2a9c1e --reason "${verb === 'approve' ? 'desk agrees' : 'not now: market open'}"`],
  notes: [OPERATOR_EXIT],
});

/** `selfheal recovery` and its subcommands' help. */
export const RECOVERY_HELP: CommandHelp = {
  help: {
    command: 'recovery',
    summary: 'The recovery receiver of one running selfheal: where each subsystem stands, approvals, history, maintenance.',
    usage: ['recovery status|pending|history|approve|reject|maintenance [flags]'],
    flags: OPERATOR_FLAGS,
    examples: ['recovery status', 'recovery pending'],
    notes: [OPERATOR_EXIT],
  },
  subcommands: [
    {
      command: 'recovery status',
      summary: 'Where each subsystem stands on the ladder (healthy, protecting, healing, verifying, escalated, maintenance).',
      usage: ['recovery status [flags]'],
      flags: OPERATOR_FLAGS,
      examples: ['recovery status', 'recovery status --json'],
      notes: [OPERATOR_EXIT],
    },
    {
      command: 'recovery pending',
      summary: 'Actions waiting for approval, with their IDs.',
      usage: ['recovery pending [flags]'],
      flags: OPERATOR_FLAGS,
      examples: ['recovery pending'],
      notes: [OPERATOR_EXIT],
    },
    {
      command: 'recovery history',
      summary: 'Recent actions, newest first.',
      usage: ['recovery history [--limit N] [flags]'],
      flags: [['--limit N', 'how many (1 to 1000, default 50)'], ...OPERATOR_FLAGS],
      examples: ['recovery history --limit 20'],
      notes: [OPERATOR_EXIT],
    },
    withReason('approve'),
    withReason('reject'),
    {
      command: 'recovery maintenance',
      summary: 'Maintenance windows: auto-recovery suspended for one subsystem or all (protection still applies).',
      usage: ['recovery maintenance [list|start|stop] [flags]'],
      flags: OPERATOR_FLAGS,
      examples: ['recovery maintenance list'],
      notes: [OPERATOR_EXIT],
    },
    {
      command: 'recovery maintenance list',
      summary: 'The maintenance windows (the default).',
      usage: ['recovery maintenance list [flags]', 'recovery maintenance [flags]   (list is the default)'],
      flags: OPERATOR_FLAGS,
      examples: ['recovery maintenance list'],
      notes: [OPERATOR_EXIT],
    },
    {
      command: 'recovery maintenance start',
      summary: 'Suspend auto-recovery for a time, for one subsystem (or all without --subsystem).',
      usage: ['recovery maintenance start [--subsystem X] --duration DURATION --reason TEXT [flags]'],
      flags: [
        ['--subsystem X', 'one subsystem (default: all of them)'],
        ['--duration DURATION', 'with its unit: 30s, 15m, 1h, 1h30m'],
        ['--reason TEXT', 'why (required)'],
        ...OPERATOR_FLAGS,
      ],
      examples: ['recovery maintenance start --subsystem event_executor --duration 10m --reason "deploy"'],
      notes: [OPERATOR_EXIT],
    },
    {
      command: 'recovery maintenance stop',
      summary: 'End a maintenance window (without --subsystem: all of them).',
      usage: ['recovery maintenance stop [--subsystem X] [flags]'],
      flags: [['--subsystem X', 'end only this window'], ...OPERATOR_FLAGS],
      examples: ['recovery maintenance stop --subsystem event_executor'],
      notes: [OPERATOR_EXIT],
    },
  ],
};

/** A record as /recovery/pending, /history, /approve and /reject answer it (`state_words` since this version). */
type ActionRow = Omit<RecordView, 'state_words'> & { state_words?: string };

/** The record's state in words: the server's, or the same wording made here for a server without them. */
const words = (r: ActionRow, now: number) => r.state_words ?? stateWords(r, now);

const actions =
  (empty: string, now: () => number) =>
  (b: unknown): string => {
    const rows = (b as ActionRow[]) ?? [];
    if (!rows.length) return `${empty}\n`;
    return table(
      ['CREATED', 'ID', 'ALERT', 'SUBSYSTEM', 'ACTION', 'STATE', 'REASON'],
      rows.map((r) => [when(r.created_at), r.id, r.alertname || '-', r.subsystem ?? '-', r.action ?? '-', words(r, now()), r.reason]),
    );
  };

/** One decided record: what it is, and what happens to it next ("approved: runs now"). */
const one =
  (now: () => number) =>
  (b: unknown): string => {
    const r = b as ActionRow;
    return `${r.action ?? '-'} on ${r.subsystem ?? '-'} (${r.id}): ${words(r, now())}\n`;
  };

/** Human view of the maintenance windows. */
const formatWindows = (b: unknown): string => {
  const ws = (b as { maintenance?: WindowView[] })?.maintenance ?? [];
  if (!ws.length) return 'no maintenance window: auto-recovery is active\n';
  return table(
    ['SUBSYSTEM', 'UNTIL', 'STARTED', 'REASON'],
    ws.map((w) => [w.subsystem ?? '(all)', when(w.until), when(w.started_at), w.reason]),
  );
};

/** Human view of GET /recovery/status: the overall stage, then one row per subsystem. */
const formatStatus = (b: unknown): string => {
  const s = b as RecoveryStatus;
  const head =
    `stage: ${s.stage}; local recovery path: ${s.local ? 'on' : 'off (Alertmanager alerts only)'}; ` +
    `maintenance: ${s.maintenance.length ? s.maintenance.map((w) => `${w.subsystem ?? 'all'} until ${when(w.until)}`).join(', ') : 'none'}\n`;
  const rows = Object.entries(s.subsystems).map(([name, v]) => {
    const a = v.last_action;
    const last = a ? `${a.action ?? '-'} ${a.outcome && a.outcome !== a.state ? `${a.state} (${a.outcome})` : a.state} (${a.id})` : '-';
    return [name, v.status, v.stage, v.episode_start ?? '-', String(v.recovery_failures), last];
  });
  return head + table(['SUBSYSTEM', 'STATUS', 'STAGE', 'EPISODE SINCE', 'FAILURES', 'LAST ACTION'], rows);
};

/** `selfheal recovery ...`; returns the exit code. */
export async function recoveryCommand(
  argv: string[],
  io: Io,
  env: NodeJS.ProcessEnv = process.env,
  clock: () => number = Date.now,
): Promise<number> {
  return withUsage(io, RECOVERY_HELP, argv, RECOVERY_OPTIONS, async () => {
    const { values, positionals } = guard(() => parseArgs({ args: argv, allowPositionals: true, strict: true, options: RECOVERY_OPTIONS }));
    const [sub, ...args] = positionals;
    const arity = (n: number) => {
      if (args.length !== n)
        throw new UsageError(n ? `${sub}: expected ${n} argument(s), got ${args.length}` : `${sub}: unexpected argument "${args[0]}"`);
    };
    switch (sub) {
      case 'status':
        arity(0);
        return report(await call(targetOf(values, env), 'GET', '/recovery/status'), io, values.json, formatStatus);
      case 'pending': {
        arity(0);
        return report(
          await call(targetOf(values, env), 'GET', '/recovery/pending'),
          io,
          values.json,
          actions('no action is waiting for approval', clock),
        );
      }
      case 'history': {
        arity(0);
        const limit = values.limit === undefined ? 50 : Number(values.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
          throw new UsageError(`--limit: expected an integer from 1 to 1000, got ${JSON.stringify(values.limit)}`);
        return report(
          await call(targetOf(values, env), 'GET', `/recovery/history?limit=${limit}`),
          io,
          values.json,
          actions('no action recorded', clock),
        );
      }
      case 'approve':
      case 'reject': {
        arity(1);
        const reason = required(values.reason, 'reason');
        const path = `/recovery/${encodeURIComponent(args[0])}/${sub}`;
        return report(await call(targetOf(values, env), 'POST', path, { reason }), io, values.json, one(clock));
      }
      case 'maintenance':
        return maintenance(args, values, io, env);
      case undefined:
        throw new UsageError('recovery: which command?');
      default:
        throw new UsageError(`unknown recovery command "${sub}"`);
    }
  });
}

async function maintenance(
  args: string[],
  values: { subsystem?: string; duration?: string; reason?: string; json?: boolean; url?: string; 'token-file'?: string; timeout?: string },
  io: Io,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const [verb = 'list', ...rest] = args;
  if (rest.length) throw new UsageError(`maintenance ${verb}: unexpected argument "${rest[0]}"`);
  switch (verb) {
    case 'list':
      return report(await call(targetOf(values, env), 'GET', '/recovery/maintenance'), io, values.json, formatWindows);
    case 'start': {
      const body: Record<string, unknown> = {
        duration_sec: parseDuration(required(values.duration, 'duration')),
        reason: required(values.reason, 'reason'),
      };
      if (values.subsystem !== undefined) body.subsystem = required(values.subsystem, 'subsystem');
      return report(await call(targetOf(values, env), 'POST', '/recovery/maintenance', body), io, values.json, formatWindows);
    }
    case 'stop': {
      const q = values.subsystem !== undefined ? `?subsystem=${encodeURIComponent(required(values.subsystem, 'subsystem'))}` : '';
      return report(await call(targetOf(values, env), 'DELETE', `/recovery/maintenance${q}`), io, values.json, formatWindows);
    }
    default:
      throw new UsageError(`unknown maintenance command "${verb}" (list, start, stop)`);
  }
}
