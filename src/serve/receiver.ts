// The recovery receiver (EXECUTE) plugged into `selfheal serve`: wiring only. The parts live in
// execute/ — the executor, the journal, the intake, the routes, the metrics — and see the running
// pipeline only as execute/pipeline.ts describes it.
import { requireAuth } from '../http/auth';
import { RecoveryExecutor, type ExecutorHooks } from '../execute/executor';
import { Intake } from '../execute/intake';
import { SqliteJournal, type JournalStore } from '../execute/journal';
import { episodeSeeds, LOCAL_PREFIX, LocalRecovery } from '../execute/local';
import { Maintenance, maintenancePath } from '../execute/maintenance';
import { RecoveryMetrics } from '../execute/metrics';
import { Retention } from '../execute/retention';
import { mountRecoveryRoutes } from '../execute/routes';
import { webhookHandler } from '../execute/webhook_http';
import { VERIFIER } from '../verify/verify';
import type { Service, ServicePlugin } from './service';

/** How `createReceiver` builds the receiver (tests inject a journal and drive the worker themselves). */
export interface ReceiverOptions {
  /** Start the timer-driven worker (tests with an injected clock drive `executor.runDue()` themselves). */
  schedule?: boolean;
  store?: JournalStore;
}

/** The receiver as plugged into the service, with its parts for tests and benches. */
export interface Receiver extends ServicePlugin {
  executor: RecoveryExecutor;
  store: JournalStore;
  maintenance: Maintenance;
  /** The local recovery path, when `recovery.local` is on. */
  local: LocalRecovery | null;
  /** Retention: compacts what is older than recovery.retention_days; returns the records deleted. */
  compact(): number;
}

/** The journal of `recovery.journal_path`; losing its files is logged and paged (SelfHealJournalProblem). */
function openJournal(svc: Service, metrics: RecoveryMetrics): SqliteJournal {
  const { recovery } = svc.config;
  const store = new SqliteJournal(recovery.journal_path, recovery.journal_synchronous);
  store.onLost = (problem, rescued) => {
    svc.logger.error(
      { problem, rescued },
      rescued
        ? 'the journal lost its write-ahead log: what was recorded is saved in the database file; recording nothing until a restart'
        : 'the journal files were removed or replaced: recording nothing until a restart (see the runbook SelfHealJournalProblem)',
    );
    metrics.journal(problem);
  };
  return store;
}

/** What the executor tells the metrics: outcomes, the approvals waiting and breakers open, our own faults. */
function executorHooks(svc: Service, metrics: RecoveryMetrics, store: JournalStore, circuits: () => ReadonlySet<string>): ExecutorHooks {
  return {
    outcome: (action, subsystem, outcome, seconds) => metrics.outcome(action, subsystem, outcome, seconds),
    changed: () => metrics.recoveryChanged(store.countByState('pending_approval'), circuits()),
    ownFault: (kind) => {
      svc.metrics.internalErrors.inc({ kind });
      svc.metrics.invalidate();
    },
  };
}

/** Builds the receiver's parts around the service's monitor, metrics and log, and plugs them in. */
export function createReceiver(svc: Service, opts: ReceiverOptions = {}): Receiver {
  const { config: cfg, clock, logger, monitor } = svc;
  const metrics = new RecoveryMetrics(svc.metrics.registry, svc.metrics.recoveryActions, () => svc.metrics.invalidate());
  const store = opts.store ?? openJournal(svc, metrics);
  // The executor needs the maintenance windows and the hooks, which call back into it: null until built,
  // so a callback fired during construction is a no-op, not a ReferenceError.
  let executor: RecoveryExecutor | null = null;
  const maintenance = new Maintenance(maintenancePath(cfg.recovery.journal_path), clock, () => {
    metrics.windows(maintenance.list());
    svc.policyViewChanged();
    // A window that ends (or is ended) releases what it held: act now, not at some later wake-up.
    executor?.maintenanceChanged();
  });
  metrics.windows(maintenance.list(), false);
  svc.addReasons(() => maintenance.reasons());
  const hooks = executorHooks(svc, metrics, store, () => executor?.openCircuits ?? new Set<string>());
  const built = new RecoveryExecutor(
    cfg,
    store,
    monitor,
    VERIFIER,
    clock,
    logger.child({ component: 'receiver' }),
    hooks,
    opts.schedule ?? true,
    maintenance,
  );
  executor = built;
  monitor.setRecoveryProbe(built);
  const local = cfg.recovery.local ? new LocalRecovery(cfg, executor, monitor, clock, logger.child({ component: 'local-recovery' })) : null;
  const intake = new Intake({
    recorder: executor,
    store,
    metrics,
    logger,
    instance: () => cfg.instance,
    changed: () => svc.metrics.invalidate(),
  });
  // Once a cycle (not at scrape time): whether the journal can record, for the page.
  monitor.on('cycle', () => metrics.journal(intake.notReady()));
  const retention = new Retention(store, cfg.recovery, clock, logger);
  const operator = requireAuth(() => ({ bearer: cfg.api.token, basic: null })); // read per request: reloadable
  return {
    executor,
    store,
    maintenance,
    local,
    compact: () => retention.compact(),
    raw: cfg.receiver.enabled ? { 'POST /alertmanager/webhook': webhookHandler(cfg.receiver, intake, store, logger) } : {},
    notReady: () => intake.notReady(),
    mount(app) {
      mountRecoveryRoutes(app, {
        executor,
        store,
        maintenance,
        pipeline: monitor,
        local: cfg.recovery.local,
        operator,
        policy: () => svc.policy().policy,
        logger,
        clock,
      });
    },
    async start() {
      executor.recover();
      monitor.seedEpisodes(episodeSeeds(store, clock() - cfg.recovery.backoff_reset_sec * 1000));
      local?.start(store.openAlerts(LOCAL_PREFIX));
      retention.start();
      executor.kick();
    },
    stop: () => stopParts(executor, store, [local, maintenance, executor, retention]),
  };
}

/**
 * Stops the parts, then gives in-flight actions a short grace period; one still running is journaled
 * as `running` and comes back as "interrupted, needs approval" — never re-run blindly.
 */
async function stopParts(executor: RecoveryExecutor, store: JournalStore, parts: ({ stop(): void } | null)[]): Promise<void> {
  for (const p of parts) p?.stop();
  const grace = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000).unref());
  if ((await Promise.race([executor.idle().then(() => 'idle' as const), grace])) === 'idle') store.close();
}
