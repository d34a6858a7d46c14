// The rules pack's one config object (the `_config` of a monitoring mixin): job selector, runbook
// base, cadence, `for:` durations, thresholds and the heartbeat's name; and the Prometheus durations
// and figures the rules, the dashboards and the fleet tools write from it.

export interface RulesConfig {
  /** Label matchers of selfheal's scrape job, for the alerts on `up` (the selfheal_* metrics need none). */
  jobSelector: string;
  /** Each alert links `runbookBase#<anchor>` (the anchors are docs/runbooks.md's headings). */
  runbookBase: string;
  /** Name of the always-firing heartbeat for a dead man's switch; null leaves it out. */
  watchdog: string | null;
  /**
   * How often the sustained group and the recording group run: the alerts whose own time scale (their `for:` or
   * look-back window) is at least five of these. Reading every instance's CPU, memory and counters every 15 s to
   * judge a 5-minute condition cost most of a fleet's rule evaluation; every minute delays such an alert by at
   * most a fifth of its time scale. The rest (liveness, and the alerts on what is wrong) run every evaluation.
   */
  sustainedInterval: string;
  /** `for:` of each alert that has one (the others fire on a decision already made, e.g. a policy). */
  for: {
    overallFailed: string;
    overallCritical: string;
    overallDegraded: string;
    manySubsystemsCritical: string;
    subsystemCritical: string;
    subsystemFailed: string;
    subsystemDegraded: string;
    cpuCritical: string;
    cpuHigh: string;
    memoryCritical: string;
    memoryHigh: string;
    exporterDown: string;
    exporterAbsent: string;
    checksStalled: string;
    approvalPending: string;
    /** A maintenance window open this long pages a reminder. */
    maintenanceActive: string;
    foreignAlerts: string;
  };
  thresholds: {
    /** Ratios 0-1 of selfheal_cpu_usage_ratio / selfheal_memory_usage_ratio. */
    cpuCritical: number;
    cpuHigh: number;
    memoryCritical: number;
    memoryHigh: number;
    /** This many critical subsystems on one instance is a critical alert of its own. */
    manySubsystemsCritical: number;
    /** Seconds since the last finished check cycle. */
    checksStalledSec: number;
    /** Look-back windows of the counter-derived alerts. */
    recoveryFailedWindow: string;
    recoveryExecutedWindow: string;
    policyChangedWindow: string;
    internalErrorsWindow: string;
    foreignWindow: string;
  };
  /** metadata of the PrometheusRule object (kube-prometheus selects rules by these labels). */
  prometheusRule: { name: string; labels: Record<string, string> };
}

/** The defaults: the guide's thresholds; the committed files are generated from these. */
export const DEFAULT_RULES_CONFIG: RulesConfig = {
  jobSelector: 'job="selfheal"',
  runbookBase: 'https://github.com/selfheal/selfheal/blob/main/docs/runbooks.md',
  watchdog: 'SelfHealWatchdog',
  sustainedInterval: '1m',
  for: {
    overallFailed: '1m',
    overallCritical: '2m',
    overallDegraded: '5m',
    manySubsystemsCritical: '1m',
    subsystemCritical: '1m',
    subsystemFailed: '1m',
    subsystemDegraded: '5m',
    cpuCritical: '5m',
    cpuHigh: '5m',
    memoryCritical: '5m',
    memoryHigh: '5m',
    exporterDown: '1m',
    exporterAbsent: '5m',
    checksStalled: '1m',
    approvalPending: '15m',
    maintenanceActive: '4h',
    foreignAlerts: '5m',
  },
  thresholds: {
    cpuCritical: 0.95,
    cpuHigh: 0.9,
    memoryCritical: 0.9,
    memoryHigh: 0.85,
    manySubsystemsCritical: 3,
    checksStalledSec: 120,
    recoveryFailedWindow: '15m',
    recoveryExecutedWindow: '10m',
    policyChangedWindow: '5m',
    internalErrorsWindow: '5m',
    foreignWindow: '15m',
  },
  prometheusRule: { name: 'selfheal-rules', labels: { 'app.kubernetes.io/name': 'selfheal', prometheus: 'k8s', role: 'alert-rules' } },
};

/** The config with every `for:` set to one duration (the end-to-end suite uses 1 s). */
export function withFor(c: RulesConfig, duration: string): RulesConfig {
  return { ...c, for: Object.fromEntries(Object.keys(c.for).map((k) => [k, duration])) as RulesConfig['for'] };
}

const UNIT_SEC: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** Prometheus's duration grammar: units largest first, each at most once ("1m1h" and "5m5m" are refused). */
const DURATION = /^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/;

/** A Prometheus duration ("90s", "1h30m") in seconds; throws on anything else. */
export function durationSeconds(d: string): number {
  if (!d || !DURATION.test(d)) throw new Error(`not a Prometheus duration: ${JSON.stringify(d)}`);
  let sec = 0;
  for (const m of d.matchAll(/(\d+)(ms|y|w|d|h|m|s)/g)) sec += Number(m[1]) * UNIT_SEC[m[2]];
  return sec;
}

/** Seconds as the shortest whole Prometheus duration: 300 → "5m", 90 → "90s". */
export function shortDuration(sec: number): string {
  if (sec % 3600 === 0) return `${sec / 3600}h`;
  if (sec % 60 === 0) return `${sec / 60}m`;
  return `${sec}s`;
}

/** A ratio as the alerts and dashboards write it (0.95 → 95%). */
export const pct = (r: number) => `${+(r * 100).toFixed(2)}%`;

/** "5m" → "5 minutes", for descriptions. */
export function humanDuration(d: string): string {
  const m = /^(\d+)(s|m|h)$/.exec(d);
  if (!m) return d;
  const unit = { s: 'second', m: 'minute', h: 'hour' }[m[2] as 's' | 'm' | 'h'];
  return `${m[1]} ${unit}${m[1] === '1' ? '' : 's'}`;
}
