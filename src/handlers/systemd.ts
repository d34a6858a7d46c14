// `systemd:` handlers: org.freedesktop.systemd1.Manager over D-Bus (RestartUnit or StopUnit, mode
// "replace"), the job waited for, then systemd's own word that it acted: the unit active again with
// a new ActiveEnterTimestamp or MainPID (or inactive, for a stop).
import { DBusConnection, DBusError, socketOf, type DBusValue } from './dbus';
import {
  clip,
  OWN_SOCKET_ERRNOS,
  pollUntil,
  socketCause,
  type EffectResult,
  type HandlerModule,
  type SupervisorEvidence,
  type SupervisorOp,
  type UnitState,
} from './handler';

export interface SystemdSpec {
  kind: 'systemd';
  unit: string;
  bus: 'system' | 'user';
  /** A D-Bus address (`unix:path=…`); null: the bus's usual one. */
  address: string | null;
  op: SupervisorOp;
}

const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER_PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const PROPS = 'org.freedesktop.DBus.Properties';

/** D-Bus errors that mean our configuration or permissions, never the platform. */
const OWN_DBUS_ERRORS = [
  'org.freedesktop.systemd1.NoSuchUnit',
  'org.freedesktop.DBus.Error.AccessDenied',
  'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired',
  'org.freedesktop.DBus.Error.InvalidArgs',
  'org.freedesktop.DBus.Error.ServiceUnknown',
];

/** The bus address used: the configured one, else the environment's, else the bus's well-known socket. */
function busAddress(spec: SystemdSpec, env: NodeJS.ProcessEnv = process.env): string {
  if (spec.address) return spec.address;
  if (spec.bus === 'system') return env.DBUS_SYSTEM_BUS_ADDRESS ?? 'unix:path=/run/dbus/system_bus_socket';
  return env.DBUS_SESSION_BUS_ADDRESS ?? `unix:path=${env.XDG_RUNTIME_DIR ?? `/run/user/${process.getuid?.() ?? 0}`}/bus`;
}

/** Ours to fix: a socket we cannot use, a refused authentication, an unknown unit, no permission. */
class OwnFault extends Error {}

function ownCause(err: unknown): string | null {
  if (err instanceof OwnFault) return err.message;
  if (err instanceof DBusError) return OWN_DBUS_ERRORS.includes(err.name) ? `${err.name}: ${err.message}` : null;
  const code = (err as NodeJS.ErrnoException).code;
  if (code && OWN_SOCKET_ERRNOS.includes(code)) return socketCause(code);
  if (err instanceof Error && err.message.startsWith('the bus refused authentication')) return err.message;
  return null;
}

interface Snapshot {
  state: UnitState;
  /** ActiveEnterTimestamp in µs, compared exactly. */
  enteredUs: bigint;
}

/** One connection's view of a unit. */
class Unit {
  private constructor(
    private readonly conn: DBusConnection,
    readonly path: string,
    private readonly deadline: number,
  ) {}

  /** What is left of the deadline, but a moment at least: a last look cut to 1 ms would say "no answer", not the unit's state. */
  private static left(deadline: number): number {
    return Math.max(2000, deadline - Date.now());
  }

  static async load(conn: DBusConnection, name: string, deadline: number): Promise<Unit> {
    const [path] = await conn.call(SYSTEMD, MANAGER_PATH, MANAGER, 'LoadUnit', 's', [name], Unit.left(deadline));
    return new Unit(conn, String(path), deadline);
  }

  private get(iface: string, prop: string): Promise<DBusValue> {
    return this.conn.call(SYSTEMD, this.path, PROPS, 'Get', 'ss', [iface, prop], Unit.left(this.deadline)).then((v) => v[0]);
  }

  async snapshot(): Promise<Snapshot> {
    const unit = 'org.freedesktop.systemd1.Unit';
    const [load, active, sub, entered] = await Promise.all([
      this.get(unit, 'LoadState'),
      this.get(unit, 'ActiveState'),
      this.get(unit, 'SubState'),
      this.get(unit, 'ActiveEnterTimestamp'),
    ]);
    // MainPID is a service's; other unit types have none.
    const pid = await this.get('org.freedesktop.systemd1.Service', 'MainPID').catch(() => 0);
    const us = typeof entered === 'bigint' ? entered : 0n;
    return {
      enteredUs: us,
      state: {
        load_state: String(load),
        active_state: String(active),
        sub_state: String(sub),
        main_pid: Number(pid),
        active_enter_timestamp: us > 0n ? new Date(Number(us / 1000n)).toISOString() : null,
      },
    };
  }

  async act(op: SupervisorOp, name: string): Promise<string> {
    const member = op === 'stop' ? 'StopUnit' : 'RestartUnit';
    const [job] = await this.conn.call(SYSTEMD, MANAGER_PATH, MANAGER, member, 'ss', [name, 'replace'], Unit.left(this.deadline));
    return String(job);
  }

  /** Waits until the job object is gone (finished, whatever its result), or the deadline. */
  async jobDone(job: string): Promise<boolean> {
    const gone = await pollUntil(
      () =>
        this.conn
          .call(SYSTEMD, job, PROPS, 'Get', 'ss', ['org.freedesktop.systemd1.Job', 'State'], Unit.left(this.deadline))
          .then(() => false)
          .catch((err: unknown) => err instanceof DBusError),
      (g) => g,
      this.deadline,
    );
    return gone;
  }
}

function confirmed(op: SupervisorOp, before: Snapshot, now: Snapshot): boolean {
  if (op === 'stop') return now.state.active_state === 'inactive' || now.state.active_state === 'failed';
  return (
    now.state.active_state === 'active' &&
    (now.enteredUs !== before.enteredUs || (now.state.main_pid !== before.state.main_pid && now.state.main_pid > 0))
  );
}

const who = (spec: SystemdSpec, address: string) => `unit ${spec.unit} (systemd on ${socketOf(address) ?? address})`;

async function run(spec: SystemdSpec, timeoutSec: number): Promise<EffectResult> {
  const deadline = Date.now() + timeoutSec * 1000;
  const address = busAddress(spec);
  const evidence = (before: Snapshot | null, after: Snapshot | null): SupervisorEvidence => ({
    kind: 'systemd',
    op: spec.op,
    target: spec.unit,
    before: before?.state ?? null,
    after: after?.state ?? null,
  });
  let conn: DBusConnection | null = null;
  let before: Snapshot | null = null;
  try {
    conn = await DBusConnection.open(address, timeoutSec * 1000);
    const unit = await Unit.load(conn, spec.unit, deadline);
    before = await unit.snapshot();
    if (before.state.load_state === 'not-found') throw new OwnFault('no such unit');
    if (before.state.load_state === 'masked') throw new OwnFault('the unit is masked');
    const job = await unit.act(spec.op, spec.unit);
    await unit.jobDone(job);
    const b = before;
    const after = await pollUntil(
      () => unit.snapshot(),
      (s) => confirmed(spec.op, b, s) || (spec.op === 'restart' && s.state.active_state === 'failed'),
      deadline,
    );
    if (!confirmed(spec.op, before, after)) {
      const s = after.state;
      return {
        ok: false,
        detail: `${who(spec, address)}: ${spec.op} not confirmed within ${timeoutSec}s: ${s.active_state}/${s.sub_state}, MainPID ${s.main_pid}`,
        evidence: evidence(before, after),
      };
    }
    const what =
      spec.op === 'stop'
        ? `stopped (${after.state.active_state})`
        : `restarted (MainPID ${before.state.main_pid} → ${after.state.main_pid}, ActiveEnterTimestamp ${before.state.active_enter_timestamp} → ${after.state.active_enter_timestamp})`;
    return { ok: true, detail: `systemd: ${spec.unit} ${what}`, evidence: evidence(before, after) };
  } catch (err) {
    const own = ownCause(err);
    const ev = before ? { evidence: evidence(before, null) } : {};
    if (own !== null) return { ok: false, own_fault: true, detail: clip(`${who(spec, address)}: ${own} (handler misconfigured)`), ...ev };
    return { ok: false, detail: clip(`${who(spec, address)}: ${(err as Error).message}`), ...ev };
  } finally {
    conn?.close();
  }
}

async function probe(spec: SystemdSpec, timeoutSec: number): Promise<string | null> {
  const address = busAddress(spec);
  let conn: DBusConnection | null = null;
  try {
    conn = await DBusConnection.open(address, timeoutSec * 1000);
    const s = await (await Unit.load(conn, spec.unit, Date.now() + timeoutSec * 1000)).snapshot();
    if (s.state.load_state === 'not-found') return `${who(spec, address)}: no such unit`;
    if (s.state.load_state === 'masked') return `${who(spec, address)}: the unit is masked`;
    return null;
  } catch (err) {
    return `${who(spec, address)}: ${ownCause(err) ?? (err as Error).message}`;
  } finally {
    conn?.close();
  }
}

/** `systemd: {unit, bus?: system|user, address?, op?}`. */
export const systemdHandler: HandlerModule<SystemdSpec> = {
  async run(spec, _ctx, timeoutSec) {
    return run(spec, timeoutSec);
  },
  probe,
  target(spec) {
    return `unit ${spec.unit}`;
  },
};
