// GET /recovery/status: where each subsystem stands on the ladder detect → protect → heal →
// verify → escalate, for the console and operators.
import { ACTIONS } from '../recommend/actions';
import { RECOVERY_ACTIONS, type HealthStatus, type RecoveryAction } from '../types';
import type { ActionState, JournalRecord, JournalStore } from './journal';
import { windowView, type Maintenance, type WindowView } from './maintenance';
import type { Pipeline, SubsystemStanding } from './pipeline';

/** Ordered by how much it asks of an operator: the overall stage is the furthest along. */
export const STAGES = ['healthy', 'maintenance', 'protecting', 'verifying', 'healing', 'escalated'] as const;
export type Stage = (typeof STAGES)[number];

/** The latest action of a subsystem's episode, as GET /recovery/status shows it. */
export interface LastAction {
  id: string;
  action: RecoveryAction | null;
  state: ActionState;
  outcome: string | null;
  updated_at: string;
}

/** One subsystem on the ladder (GET /recovery/status). */
export interface SubsystemStage {
  status: HealthStatus;
  stage: Stage;
  episode_start: string | null;
  consecutive_errors: number;
  recovery_failures: number;
  last_action: LastAction | null;
}

/** What GET /recovery/status answers. */
export interface RecoveryStatus {
  local: boolean;
  stage: Stage;
  maintenance: WindowView[];
  subsystems: Record<string, SubsystemStage>;
}

/** The stage of one subsystem, from its served status, its latest action and any maintenance window. Pure. */
function stageOf(st: Pick<SubsystemStanding, 'result' | 'checked'>, last: JournalRecord | null, inMaintenance: boolean): Stage {
  const h = st.result.health;
  if (h.status === 'healthy' && !(last && (last.state === 'running' || last.state === 'verifying'))) return 'healthy';
  if (h.status === 'failed') return 'escalated';
  if (inMaintenance) return 'maintenance';
  if (last?.state === 'verifying') return 'verifying';
  if (last && (last.state === 'running' || last.state === 'recorded')) return 'healing';
  return h.status === 'healthy' ? 'healthy' : 'protecting';
}

export function recoveryStatus(pipeline: Pipeline, store: JournalStore, maintenance: Maintenance, local: boolean): RecoveryStatus {
  const subsystems: Record<string, SubsystemStage> = {};
  let worst = 0;
  for (const [name, st] of pipeline.state) {
    const episode = st.episodeStart;
    // Only subsystems in (or just out of) an episode can have actions that matter now: keep the journal out of the healthy path.
    const last = st.lastEpisodeStart !== null ? store.latestFor(name) : null;
    const relevant = last && st.lastEpisodeStart !== null && last.created_at >= st.lastEpisodeStart ? last : null;
    const stage = stageOf(st, relevant, maintenance.active(name) !== null);
    worst = Math.max(worst, STAGES.indexOf(stage));
    subsystems[name] = {
      status: st.result.health.status,
      stage,
      episode_start: episode === null ? null : new Date(episode).toISOString(),
      consecutive_errors: st.history.consecutive_errors,
      recovery_failures: episode === null ? 0 : recoveryFailures(store, name, episode),
      last_action: relevant
        ? {
            id: relevant.id,
            action: relevant.action,
            state: relevant.state,
            outcome: relevant.outcome,
            updated_at: new Date(relevant.updated_at).toISOString(),
          }
        : null,
    };
  }
  return { local, stage: STAGES[worst], maintenance: maintenance.list().map(windowView), subsystems };
}

/** Actions that retry with backoff and escalate when exhausted (the action table says which: today, restarts). */
const RETRYING = RECOVERY_ACTIONS.filter((a) => ACTIONS[a].retry_with_backoff);

/** Verified failures in a row in this episode, of the retrying action that has failed most (what escalation counts). */
function recoveryFailures(store: JournalStore, subsystem: string, since: number): number {
  let most = 0;
  for (const action of RETRYING) {
    let n = 0;
    for (const r of store.lastFinished(subsystem, action, 50)) {
      if ((r.finished_at ?? 0) < since || r.state !== 'failed') break;
      n++;
    }
    most = Math.max(most, n);
  }
  return most;
}
