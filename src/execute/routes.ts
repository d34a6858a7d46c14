// The operator's recovery routes: approvals, floors, the journal's listings, the ladder status and
// maintenance windows (GET /recovery/status and /recovery/maintenance are open; the rest need the
// operator token, as the journal holds alert labels and operator reasons).
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import { reasonOf } from '../http/json';
import type { Logger } from '../log/logger';
import type { SafetyPolicy } from '../types';
import type { RecoveryExecutor } from './executor';
import type { JournalRecord, JournalStore } from './journal';
import { windowView, type Maintenance } from './maintenance';
import type { Pipeline } from './pipeline';
import { stateWords } from './state_words';
import { recoveryStatus } from './status';

/** What the recovery routes act on and answer from. */
export interface RecoveryRoutesDeps {
  executor: RecoveryExecutor;
  store: JournalStore;
  maintenance: Maintenance;
  pipeline: Pipeline;
  /** Whether the local recovery path is on (GET /recovery/status says so). */
  local: boolean;
  /** The operator's credential check. */
  operator: RequestHandler;
  /** The served policy now: lifting a floor answers with it. */
  policy: () => SafetyPolicy;
  logger: Logger;
  clock: () => number;
}

/** A journal record as the API answers it: with its state in an operator's words (`state_words`). */
export type RecordView = JournalRecord & { state_words: string };

function view(records: JournalRecord[], now: number): RecordView[] {
  return records.map((r) => ({ ...r, state_words: stateWords(r, now) }));
}

/** `?limit=&offset=` of the journal listings: limit 1–1000 (default 100), offset ≥ 0. */
function page(q: Record<string, unknown>): { limit: number; offset: number } {
  return { limit: Math.min(1000, Math.max(1, Number(q.limit) || 100)), offset: Math.max(0, Math.floor(Number(q.offset) || 0)) };
}

/** Mounts every /recovery/* route. */
export function mountRecoveryRoutes(app: Express, d: RecoveryRoutesDeps): void {
  const { executor, store, operator } = d;
  const small = express.json({ limit: '16kb' });
  mountMaintenance(app, d, small);
  app.get('/recovery/status', (_req, res) => {
    res.set('Cache-Control', 'no-store').json(recoveryStatus(d.pipeline, store, d.maintenance, d.local));
  });
  app.get('/recovery/pending', operator, (req, res) => {
    const { limit, offset } = page(req.query);
    res.json(view(executor.pending(limit, offset), d.clock()));
  });
  app.get('/recovery/history', operator, (req, res) => {
    const { limit, offset } = page(req.query);
    res.json(view(store.history(limit, offset), d.clock()));
  });
  app.get('/recovery/floors', operator, (_req, res) => {
    res.json({ floors: executor.floors() });
  });
  const lift = (key: string | null) => (req: Request, res: Response) => {
    const reason =
      typeof req.query.reason === 'string' && req.query.reason.trim() ? req.query.reason.trim().slice(0, 500) : 'lifted by operator';
    const which = key ?? String(req.params.key);
    const lifted = executor.clearFloors(which || null, reason);
    if (which && !lifted.length) return void res.status(404).json({ error: `no recovery floor ${which}` });
    res.json({ lifted, floors: executor.floors(), policy: d.policy() });
  };
  app.delete('/recovery/floors', operator, lift(''));
  app.delete('/recovery/floors/:key', operator, lift(null));
  const decideRoute = (verb: 'approve' | 'reject') => (req: Request, res: Response) => {
    const reason = reasonOf(req.body);
    if (!reason) return void res.status(400).json({ error: 'reason: required, a non-empty string' });
    const r = executor[verb](String(req.params.id), reason);
    if ('error' in r) return void res.status(r.status).json({ error: r.error });
    res.json(view([r], d.clock())[0]);
  };
  app.post('/recovery/:id/approve', operator, small, decideRoute('approve'));
  app.post('/recovery/:id/reject', operator, small, decideRoute('reject'));
}

/** POST/DELETE/GET /recovery/maintenance: suspend automatic recovery for a subsystem (or all) for a time. */
function mountMaintenance(app: Express, d: RecoveryRoutesDeps, json: RequestHandler): void {
  const { maintenance, operator, logger } = d;
  const known = new Set(d.pipeline.subsystems.map((s) => s.name));
  const list = () => ({ maintenance: maintenance.list().map(windowView) });
  app.get('/recovery/maintenance', (_req, res) => {
    res.json(list());
  });
  app.post('/recovery/maintenance', operator, json, (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const subsystem = body.subsystem ?? null;
    if (subsystem !== null && (typeof subsystem !== 'string' || !known.has(subsystem))) {
      return void res
        .status(400)
        .json({ error: `subsystem: expected one of the enabled subsystems (or omit it for all), got ${JSON.stringify(subsystem)}` });
    }
    const duration = body.duration_sec;
    if (typeof duration !== 'number' || !(duration > 0) || duration > 7 * 86400) {
      return void res.status(400).json({ error: 'duration_sec: expected a number of seconds, more than 0 and at most 604800' });
    }
    const reason = reasonOf(body);
    if (!reason) return void res.status(400).json({ error: 'reason: required, a non-empty string' });
    const w = maintenance.start(subsystem, duration, reason);
    logger.warn({ ...windowView(w), remote: req.socket.remoteAddress }, 'maintenance window started: automatic recovery suspended');
    res.json(list());
  });
  app.delete('/recovery/maintenance', operator, (req, res) => {
    const q = req.query.subsystem;
    if (q !== undefined && (typeof q !== 'string' || !known.has(q))) {
      return void res.status(400).json({ error: `subsystem: expected one of the enabled subsystems, got ${JSON.stringify(q)}` });
    }
    const ended = maintenance.end(q === undefined ? undefined : q);
    logger.warn({ subsystem: q ?? 'every window', ended, remote: req.socket.remoteAddress }, 'maintenance window ended');
    res.json(list());
  });
}
