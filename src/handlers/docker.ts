// `docker:` handlers: the Docker Engine API over its Unix socket (docker-autoheal's call), then the
// Engine's own word that it acted: a newer State.StartedAt on a running (and healthy) container.
import { request } from 'node:http';
import {
  clip,
  errCode,
  OWN_SOCKET_ERRNOS,
  pollUntil,
  socketCause,
  type ContainerState,
  type EffectResult,
  type HandlerModule,
  type SupervisorEvidence,
  type SupervisorOp,
} from './handler';

export interface DockerSpec {
  kind: 'docker';
  /** A container name or id. */
  container: string;
  socket: string;
  /** Seconds the Engine waits after SIGTERM before it kills (the API's `t`). */
  stop_timeout_sec: number;
  op: SupervisorOp;
}

/** The Engine API version asked for: Docker 20.10's, served by every Engine since. */
const API = '/v1.41';

/** The socket could not be used: ours to fix. */
class SocketError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

interface Answer {
  status: number;
  body: string;
}

/** One Engine API call; rejects with SocketError when the socket cannot be used. */
function engine(socket: string, method: string, path: string, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path: API + path, timeout: timeoutMs, headers: { host: 'docker' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 64 * 1024) body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from the Docker Engine in ${Math.round(timeoutMs / 1000)}s`)));
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code && OWN_SOCKET_ERRNOS.includes(err.code) ? new SocketError(err.code) : err),
    );
    req.end();
  });
}

/** The Engine's error message of a non-2xx answer. */
function message(a: Answer): string {
  try {
    return String((JSON.parse(a.body) as { message?: unknown }).message ?? a.body);
  } catch {
    return a.body.trim() || `HTTP ${a.status}`;
  }
}

interface Inspected {
  Id: string;
  State: { Status: string; Running: boolean; Pid: number; StartedAt: string; Health?: { Status: string } };
}

/** The container's state, null when the Engine has no such container. */
async function inspect(spec: DockerSpec, timeoutMs: number): Promise<ContainerState | null> {
  const a = await engine(spec.socket, 'GET', `/containers/${encodeURIComponent(spec.container)}/json`, timeoutMs);
  if (a.status === 404) return null;
  if (a.status !== 200) throw new Error(`inspect: ${message(a)}`);
  const c = JSON.parse(a.body) as Inspected;
  return {
    id: c.Id.slice(0, 12),
    status: c.State.Status,
    running: c.State.Running,
    started_at: c.State.StartedAt,
    pid: c.State.Pid,
    health: c.State.Health?.Status ?? null,
  };
}

/** StartedAt is RFC 3339 with nanoseconds; a new start is a different instant, not earlier than the last. */
const newer = (after: string, before: string) => after !== before && Date.parse(after) >= Date.parse(before);

/** What the Engine must show for the op to count as done. */
function confirmed(op: SupervisorOp, before: ContainerState, now: ContainerState | null): boolean {
  if (!now) return false;
  if (op === 'stop') return !now.running;
  return now.running && newer(now.started_at, before.started_at) && (now.health === null || now.health === 'healthy');
}

function describeState(c: ContainerState | null): string {
  if (!c) return 'gone';
  return `${c.status}${c.health ? ` (${c.health})` : ''}, started ${c.started_at}`;
}

/** The least time one inspect while confirming may take, whatever is left of the handler's timeout. */
const LOOK_MS = 2000;

const who = (spec: DockerSpec) => `container ${spec.container} (Docker Engine at ${spec.socket})`;

async function run(spec: DockerSpec, timeoutSec: number): Promise<EffectResult> {
  const deadline = Date.now() + timeoutSec * 1000;
  const left = () => Math.max(1, deadline - Date.now());
  const evidence = (before: ContainerState | null, after: ContainerState | null): SupervisorEvidence => ({
    kind: 'docker',
    op: spec.op,
    target: spec.container,
    before,
    after,
  });
  try {
    const before = await inspect(spec, left());
    if (!before) return { ok: false, own_fault: true, detail: `${who(spec)}: no such container (handler misconfigured)` };
    const a = await engine(
      spec.socket,
      'POST',
      `/containers/${encodeURIComponent(spec.container)}/${spec.op}?t=${spec.stop_timeout_sec}`,
      left(),
    );
    if (a.status === 404)
      return {
        ok: false,
        own_fault: true,
        detail: `${who(spec)}: no such container (handler misconfigured)`,
        evidence: evidence(before, null),
      };
    if (a.status !== 204 && a.status !== 304)
      return { ok: false, detail: clip(`${who(spec)}: ${spec.op} refused: ${message(a)}`), evidence: evidence(before, null) };
    // Each look gets a moment of its own even at the deadline: a last inspect cut to 1 ms would report
    // "no answer" instead of the state the Engine is in.
    const after = await pollUntil(
      () => inspect(spec, Math.max(left(), LOOK_MS)),
      (c) => confirmed(spec.op, before, c),
      deadline,
    );
    if (!confirmed(spec.op, before, after))
      return {
        ok: false,
        detail: `${who(spec)}: ${spec.op} not confirmed within ${timeoutSec}s: ${describeState(after)}`,
        evidence: evidence(before, after),
      };
    const what = spec.op === 'stop' ? 'stopped' : `restarted (StartedAt ${before.started_at} → ${after?.started_at})`;
    return { ok: true, detail: `docker: ${spec.container} ${what}`, evidence: evidence(before, after) };
  } catch (err) {
    if (err instanceof SocketError) return { ok: false, own_fault: true, detail: `${who(spec)}: ${socketCause(err.code)}` };
    return { ok: false, detail: clip(`${who(spec)}: ${(err as Error).message || errCode(err)}`) };
  }
}

/** `docker: {container, socket?, stop_timeout_sec?, op?}`. */
export const dockerHandler: HandlerModule<DockerSpec> = {
  async run(spec, _ctx, timeoutSec) {
    return run(spec, timeoutSec);
  },
  async probe(spec, timeoutSec) {
    try {
      return (await inspect(spec, timeoutSec * 1000)) ? null : `${who(spec)}: no such container`;
    } catch (err) {
      return `${who(spec)}: ${err instanceof SocketError ? socketCause(err.code) : (err as Error).message}`;
    }
  },
  target(spec) {
    return `container ${spec.container}`;
  },
};
