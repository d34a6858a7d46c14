// `selfheal recovery [pending|approve|reject|history|maintenance]`: the recovery receiver of one running selfheal.
import { EXIT, UsageError, call, parseDuration } from './http';
import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, guard, report, required, table, targetOf, when, withUsage, type Io } from './common';

export const RECOVERY_USAGE = `Usage:
  selfheal recovery pending                            actions waiting for approval
  selfheal recovery approve ID --reason TEXT           run a pending action
  selfheal recovery reject ID --reason TEXT            drop a pending action
  selfheal recovery history [--limit N]                recent actions, newest first
  selfheal recovery maintenance list                   maintenance windows (auto-recovery suspended)
  selfheal recovery maintenance start [--subsystem X] --duration 10m --reason TEXT
  selfheal recovery maintenance stop [--subsystem X]   end that window (no --subsystem: all of them)
Flags: --url URL (default http://127.0.0.1:8477), --token-file FILE (else env SELFHEAL_API_TOKEN),
       --timeout 5s, --json (the service's JSON as is)
Exit: 0 done, 1 refused by the service (4xx, its message shown), 2 unreachable or 5xx, 3 usage
`;

interface ActionRow {
  id: string;
  alertname: string;
  subsystem: string | null;
  action: string | null;
  state: string;
  outcome: string | null;
  reason: string;
  created_at: number;
  expires_at: number | null;
}

interface Window {
  subsystem: string | null;
  reason: string;
  started_at: string;
  until: string;
}

const actions =
  (empty: string) =>
  (b: unknown): string => {
    const rows = (b as ActionRow[]) ?? [];
    if (!rows.length) return `${empty}\n`;
    return table(
      ['CREATED', 'ID', 'ALERT', 'SUBSYSTEM', 'ACTION', 'STATE', 'REASON'],
      rows.map((r) => [
        when(r.created_at),
        r.id,
        r.alertname || '-',
        r.subsystem ?? '-',
        r.action ?? '-',
        r.outcome && r.outcome !== r.state ? `${r.state} (${r.outcome})` : r.state,
        r.reason,
      ]),
    );
  };

const one =
  (verb: string) =>
  (b: unknown): string => {
    const r = b as ActionRow;
    return `${verb} ${r.id}: ${r.action ?? '-'} on ${r.subsystem ?? '-'} is now ${r.state}\n`;
  };

/** Human view of the maintenance windows. */
export const formatWindows = (b: unknown): string => {
  const ws = (b as { maintenance?: Window[] })?.maintenance ?? [];
  if (!ws.length) return 'no maintenance window: auto-recovery is active\n';
  return table(
    ['SUBSYSTEM', 'UNTIL', 'STARTED', 'REASON'],
    ws.map((w) => [w.subsystem ?? '(all)', when(w.until), when(w.started_at), w.reason]),
  );
};

/** `selfheal recovery ...`; returns the exit code. */
export async function recoveryCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return withUsage(io, RECOVERY_USAGE, async () => {
    const { values, positionals } = guard(() =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        strict: true,
        options: {
          ...COMMON_OPTIONS,
          reason: { type: 'string' },
          limit: { type: 'string' },
          subsystem: { type: 'string' },
          duration: { type: 'string' },
        },
      }),
    );
    if (values.help) {
      io.out(RECOVERY_USAGE);
      return EXIT.ok;
    }
    const [sub, ...args] = positionals;
    const arity = (n: number) => {
      if (args.length !== n)
        throw new UsageError(n ? `${sub}: expected ${n} argument(s), got ${args.length}` : `${sub}: unexpected argument "${args[0]}"`);
    };
    switch (sub) {
      case 'pending': {
        arity(0);
        return report(
          await call(targetOf(values, env), 'GET', '/recovery/pending'),
          io,
          values.json,
          actions('no action is waiting for approval'),
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
          actions('no action recorded'),
        );
      }
      case 'approve':
      case 'reject': {
        arity(1);
        const reason = required(values.reason, 'reason');
        const path = `/recovery/${encodeURIComponent(args[0])}/${sub}`;
        return report(
          await call(targetOf(values, env), 'POST', path, { reason }),
          io,
          values.json,
          one(sub === 'approve' ? 'approved' : 'rejected'),
        );
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
