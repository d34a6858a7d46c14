// Every key of selfheal.yml, declared once (type, default, unit, description, reload class). The
// parser (load.ts) reads through these, the docs and the JSON Schema are generated from them
// (docs.ts), and a reload applies or refuses each key by its class (changes.ts). Each check
// type declares its own keys in its module (detect/checks/*.ts); the registry lists them.
import { RECOVERY_ACTIONS, TRADING_CRITICALITIES } from '../types';
import { CHECK_TYPES } from '../detect/registry';
import { SUPERVISOR_OPS } from '../handlers/ops';
import {
  bool,
  custom,
  num,
  oneOf,
  optNum,
  optStr,
  section,
  str,
  stringMap,
  strings,
  taggedList,
  HTTP_URL,
  type Keys,
  type Pattern,
} from '../schema/keys';

/** Node timers hold at most 2^31−1 ms; a longer interval or timeout would fire at once (and loop). */
export const TIMER_MAX_SEC = Math.floor((2 ** 31 - 1) / 1000);
/** The listener's port by default. */
export const DEFAULT_PORT = 8477;

/** Seconds that end up in a timer: positive, and no more than a Node timer can hold. */
const timer = { gt: 0, max: TIMER_MAX_SEC, unit: 'seconds' } as const;
/** As `timer`, but 0 (off) is allowed. */
const timer0 = { min: 0, max: TIMER_MAX_SEC, unit: 'seconds' } as const;

const HOST_NAME: Pattern = {
  re: /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i,
  expected: 'a host name without port or scheme',
};

/** The top-level scalars. */
export const ROOT_KEYS = {
  data_dir: str({
    default: '/app/data',
    reload: 'restart',
    description: 'Where the platform writes its state files (relative to the config file); relative file paths resolve here.',
  }),
  log_dir: str({ default: '/app/logs', reload: 'live', description: 'The logging check looks for the newest `*.log` here.' }),
  models_dir: str({ default: '/app/ai_engine/models', reload: 'live', description: 'The ai_model check looks for the model files here.' }),
  database_path: str({ default: '/app/backend/data/quantum_trader.db', reload: 'live', description: 'The database check.' }),
  check_interval: num({
    default: 30,
    ...timer,
    reload: 'live',
    description: 'Between checks of subsystems not critical for trading (and of CPU and memory).',
  }),
  critical_check_interval: num({ default: 5, ...timer, reload: 'live', description: 'Between checks of trading-critical subsystems.' }),
  max_consecutive_failures: num({
    default: 3,
    min: 1,
    int: true,
    unit: 'count',
    reload: 'live',
    description:
      "Verified failures of a subsystem's automatic recovery in a row that exhaust it (then failed; no other count makes a subsystem failed); also how many check errors in a row a check without an age keeps its last status before it is unknown.",
  }),
  max_error_rate: num({
    default: 0.2,
    min: 0,
    max: 1,
    unit: 'ratio',
    reload: 'live',
    description: 'Checks errored in more than this share of the last `error_rate_window` make a subsystem at least degraded.',
  }),
  error_rate_window: num({
    default: 20,
    min: 1,
    int: true,
    unit: 'checks',
    reload: 'live',
    description: 'How many recent checks the error rate looks at.',
  }),
  stale_data_threshold_sec: num({
    default: 300,
    gt: 0,
    unit: 'seconds',
    reload: 'live',
    description: 'The data feed is degraded beyond this age (data_feed `degraded_after_sec` by default).',
  }),
  max_cpu_percent: num({
    default: 90,
    gt: 0,
    max: 100,
    unit: 'percent',
    reload: 'live',
    description: 'CPU use above this is a HIGH issue.',
  }),
  max_memory_percent: num({
    default: 85,
    gt: 0,
    max: 100,
    unit: 'percent',
    reload: 'live',
    description: 'Memory use above this is a HIGH issue.',
  }),
  auto_restart_enabled: bool({ default: true, reload: 'restart', description: "The guide's switch: restarts run without approval." }),
  auto_pause_on_critical: bool({ default: true, reload: 'restart', description: "The guide's switch: pauses run without approval." }),
  check_timeout_sec: num({
    default: 5,
    ...timer,
    reload: 'live',
    description: "Every check's timeout unless its subsystem sets `timeout_sec`.",
  }),
  max_clock_skew_sec: num({
    default: 30,
    min: 0,
    unit: 'seconds',
    reload: 'live',
    description: 'Evidence dated further ahead of our clock is an error (with the skew), not fresh evidence.',
  }),
  report_path: str({
    default: 'self_healing_report.json',
    reload: 'restart',
    description: 'The health report file (relative to `data_dir`).',
  }),
  host: str({
    default: '127.0.0.1',
    reload: 'restart',
    description: 'Listener address of `selfheal serve`; `--web.listen-address` or `--host` mask it (logged).',
  }),
  port: num({
    default: DEFAULT_PORT,
    min: 0,
    max: 65535,
    int: true,
    reload: 'restart',
    description: 'Listener port; `--web.listen-address` or `--port` mask it (logged).',
  }),
  instance: optStr({
    env: 'SELFHEAL_INSTANCE',
    reload: 'live',
    description:
      "This exporter's Prometheus `instance` label: set, the receiver acts only on alerts naming it (fleet mode), and a loopback request may be addressed to its host.",
  }),
} satisfies Keys;

/** `api:` — the operator API. */
export const API_KEYS = {
  token: optStr({
    env: 'SELFHEAL_API_TOKEN',
    reload: 'live',
    description: 'Operator token for changing endpoints and the recovery journal; with none, loopback callers only (and the Host check).',
  }),
  token_file: optStr({ reload: 'live', description: 'A file holding the operator token (read at start and on every reload).' }),
  max_connections: num({
    default: 1024,
    min: 1,
    int: true,
    unit: 'connections',
    reload: 'live',
    description: 'Open HTTP connections at most (SSE subscribers and idle keep-alive ones count); more are closed at once.',
  }),
  max_streams: num({
    min: 0,
    int: true,
    unit: 'subscribers',
    defaultText: 'half of `api.max_connections`',
    reload: 'live',
    description:
      'Open `/policy/stream` subscribers at most, below `max_connections` so /policy, the operator and the webhook keep room; more are refused 503 with Retry-After (a lower value never drops open ones).',
  }),
  max_streams_per_client: num({
    min: 0,
    int: true,
    unit: 'subscribers',
    defaultText: 'min(32, `max_streams`)',
    reload: 'live',
    description: 'Open `/policy/stream` subscribers per client address at most; more are refused 503 (behind a proxy, raise it).',
  }),
  allowed_hosts: strings({
    default: [],
    pattern: HOST_NAME,
    reload: 'live',
    description:
      'With no token: names (besides localhost, IP addresses and the instance) a loopback request may be addressed to (docs/front-door.md).',
  }),
} satisfies Keys;

/** The trading limits of one policy level (`policy.normal`, `policy.safe_profile`). */
export function limitKeys(maxLeverage: number | null, multiplier: number) {
  return {
    max_leverage: optNum({ default: maxLeverage, gt: 0, reload: 'live', description: 'Leverage cap (null: none from us).' }),
    position_size_multiplier: num({
      default: multiplier,
      min: 0,
      max: 1,
      unit: 'ratio',
      reload: 'live',
      description: 'Multiplier on position sizes.',
    }),
  } satisfies Keys;
}

/** `policy.high_risk`: which positions `close_positions: "high_risk"` (defensive_exit) asks the bot to close. */
export const HIGH_RISK_KEYS = {
  max_leverage: optNum({
    gt: 0,
    reload: 'live',
    defaultText: '`policy.safe_profile.max_leverage`',
    description: 'A position levered above this is high risk (null: leverage alone never makes it so).',
  }),
  tags: strings({ default: ['high_risk'], reload: 'live', description: 'A position the bot tagged with any of these is high risk.' }),
} satisfies Keys;

/** `policy:` — the served policy. */
export const POLICY_KEYS = {
  hold_down_sec: num({
    default: 60,
    ...timer0,
    reload: 'live',
    description: 'A lower policy must hold this long before the served policy steps down (a wait in progress too).',
  }),
  valid_for_sec: num({
    ...timer,
    defaultText: 'max(15, 3 × `critical_check_interval`)',
    reload: 'live',
    description: 'How long a served policy stays valid (`valid_until`).',
  }),
  normal: section(limitKeys(null, 1), { reload: 'live', description: 'Limits under `allow_all`.' }),
  safe_profile: section(limitKeys(5, 0.5), { reload: 'live', description: "Limits under `safe_risk_profile` (the guide's)." }),
  high_risk: section(HIGH_RISK_KEYS, {
    reload: 'live',
    description: 'What `close_positions: "high_risk"` means; echoed in every policy view.',
  }),
} satisfies Keys;

/** `receiver.basic_auth`. */
export const BASIC_AUTH_KEYS = {
  username: str({ required: true, reload: 'live', description: 'The user Alertmanager sends.' }),
  password: optStr({ reload: 'live', description: 'Its password (or `password_file`).' }),
  password_file: optStr({ reload: 'live', description: 'A file holding the password.' }),
} satisfies Keys;

/** `receiver:` — the Alertmanager webhook. */
export const RECEIVER_KEYS = {
  enabled: bool({ default: true, reload: 'restart', description: 'Serve `POST /alertmanager/webhook`.' }),
  bearer_token: optStr({
    env: 'SELFHEAL_WEBHOOK_TOKEN',
    reload: 'live',
    description: "The webhook's credential (it cannot reach operator endpoints); with none, loopback only.",
  }),
  bearer_token_file: optStr({ reload: 'live', description: 'A file holding the webhook token.' }),
  basic_auth: section(BASIC_AUTH_KEYS, { reload: 'live', description: 'Basic auth instead of (or as well as) the token.' }),
  max_body_bytes: num({
    default: 1024 * 1024,
    min: 1024,
    int: true,
    unit: 'bytes',
    reload: 'live',
    description: 'Bodies over this are refused 413.',
  }),
  body_timeout_sec: num({
    default: 10,
    gt: 0,
    unit: 'seconds',
    reload: 'live',
    description: 'A request (headers and body) not received in this time is answered 408 and closed (every endpoint).',
  }),
} satisfies Keys;

/** What every recovery handler has, whatever its kind. */
const HANDLER_COMMON_KEYS = {
  action: oneOf(RECOVERY_ACTIONS, { required: true, reload: 'restart', description: 'The recovery action it carries out.' }),
  subsystem: optStr({ reload: 'restart', description: 'Only for this subsystem (none: any).' }),
  timeout_sec: num({ default: 30, ...timer, reload: 'restart', description: 'Killed (exec) or abandoned (http) after this.' }),
} satisfies Keys;

/** `recovery.handlers[].http`. */
const HTTP_HANDLER_KEYS = {
  url: str({ required: true, pattern: HTTP_URL, reload: 'restart', description: 'Where the request goes.' }),
  method: str({ default: 'POST', reload: 'restart', description: 'HTTP method.' }),
  headers: stringMap({ default: {}, reload: 'restart', description: 'Request headers.' }),
} satisfies Keys;

const SUPERVISOR_OP: Pattern = {
  re: new RegExp(`^(${SUPERVISOR_OPS.join('|')})$`),
  expected: SUPERVISOR_OPS.map((o) => JSON.stringify(o)).join(' or '),
};

/** What a subsystem may be called (a key under `subsystems:`, a Prometheus label value). */
export const SUBSYSTEM_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** `recovery.handlers[].docker`: the Docker Engine API over its Unix socket. */
const DOCKER_HANDLER_KEYS = {
  container: str({ required: true, reload: 'restart', description: 'The container to restart (or stop): a name or an id.' }),
  socket: str({ default: '/var/run/docker.sock', reload: 'restart', description: "The Engine's Unix socket." }),
  stop_timeout_sec: num({
    default: 10,
    min: 0,
    int: true,
    unit: 'seconds',
    reload: 'restart',
    description: "How long the Engine waits after SIGTERM before it kills (the API's `t`).",
  }),
  op: optStr({
    pattern: SUPERVISOR_OP,
    reload: 'restart',
    description: '`restart` (remediation actions; the default) or `stop` (only `disable_module`, and required there).',
  }),
} satisfies Keys;

/** `recovery.handlers[].systemd`: org.freedesktop.systemd1 over D-Bus. */
const SYSTEMD_HANDLER_KEYS = {
  unit: str({
    required: true,
    pattern: { re: /^[\w:.@\\-]+$/, expected: 'a unit name such as event-executor.service' },
    reload: 'restart',
    description: 'The unit to restart (or stop).',
  }),
  bus: oneOf(['system', 'user'] as const, { default: 'system', reload: 'restart', description: "Which systemd manager's bus." }),
  address: optStr({
    pattern: { re: /(^|;)unix:/, expected: 'a unix: D-Bus address (unix:path=/run/dbus/system_bus_socket)' },
    reload: 'restart',
    description: "A D-Bus address instead of the bus's usual socket (e.g. a container's, bind-mounted).",
  }),
  op: optStr({
    pattern: SUPERVISOR_OP,
    reload: 'restart',
    description: '`restart` (remediation actions; the default) or `stop` (only `disable_module`, and required there).',
  }),
} satisfies Keys;

/**
 * The kinds of recovery handler, a tagged variant each: a handler has exactly one of these keys,
 * which names its kind and holds its settings. A new kind is one entry here (and its runner).
 */
const HANDLER_KINDS = {
  exec: {
    exec: strings({
      required: true,
      nonEmpty: 'expected a non-empty argv list',
      reload: 'restart',
      description: 'Runs this argv (never a shell), in its own process group.',
    }),
    env: strings({
      default: [],
      reload: 'restart',
      description: 'Environment variables passed on to an exec handler beyond PATH, HOME, LANG, TZ and its SELFHEAL_*.',
    }),
  },
  http: { http: section(HTTP_HANDLER_KEYS, { reload: 'restart', description: 'Sends this request.' }) },
  docker: {
    docker: section(DOCKER_HANDLER_KEYS, {
      reload: 'restart',
      description: 'Restarts a container through the Engine API and confirms a newer StartedAt (docs/supervisors.md).',
    }),
  },
  systemd: {
    systemd: section(SYSTEMD_HANDLER_KEYS, {
      reload: 'restart',
      description: 'Restarts a unit over D-Bus and confirms ActiveEnterTimestamp or MainPID changed (docs/supervisors.md).',
    }),
  },
} satisfies Record<string, Keys>;

/** `recovery:` — the executor. `handlers` is read by load.ts (a list of tagged variants). */
export const RECOVERY_KEYS = {
  local: bool({
    default: true,
    reload: 'restart',
    description: "`selfheal serve` runs the guide's auto-executable recommendations itself.",
  }),
  dry_run: bool({ default: false, reload: 'restart', description: 'Decide and record, run nothing.' }),
  dry_run_actions: strings({ default: [], values: RECOVERY_ACTIONS, reload: 'restart', description: 'Dry run for these actions only.' }),
  journal_path: str({ default: 'selfheal_journal.db', reload: 'restart', description: 'The SQLite journal (relative to `data_dir`).' }),
  journal_synchronous: oneOf(['normal', 'full'] as const, {
    default: 'normal',
    reload: 'restart',
    description: 'normal: survives a killed process; full: also a power loss (an fsync per commit).',
  }),
  cooldown_sec: num({ default: 300, ...timer0, reload: 'restart', description: 'Between two runs of one action for one subsystem.' }),
  settle_sec: num({ default: 30, ...timer0, reload: 'restart', description: 'After an action, before it is verified.' }),
  approval_ttl_sec: num({ default: 3600, ...timer, reload: 'restart', description: 'An unanswered approval expires after this.' }),
  backoff_initial_sec: num({ default: 10, ...timer0, reload: 'restart', description: 'First back-off after a failed restart (doubling).' }),
  backoff_max_sec: num({ default: 300, ...timer0, reload: 'restart', description: 'Longest back-off.' }),
  backoff_reset_sec: num({
    default: 600,
    ...timer0,
    reload: 'restart',
    description: 'Back-off forgiven after this without failure (and at a new unhealthy episode).',
  }),
  breaker_max_executions: num({
    default: 5,
    min: 1,
    int: true,
    unit: 'runs',
    reload: 'restart',
    description: 'Runs of one action per subsystem in `breaker_window_sec`; more need approval.',
  }),
  breaker_window_sec: num({ default: 3600, ...timer, reload: 'restart', description: "The circuit breaker's window." }),
  lift_on_resolve: bool({ default: true, reload: 'restart', description: 'A floor is lifted when its alert resolves.' }),
  require_approval: strings({
    default: ['defensive_exit', 'close_all_positions'],
    values: RECOVERY_ACTIONS,
    reload: 'restart',
    description: 'These actions always need a human.',
  }),
  handlers: taggedList(HANDLER_COMMON_KEYS, HANDLER_KINDS, {
    what: 'handler',
    reload: 'restart',
    description: 'What runs an action instead of its built-in effect (first match wins); see below.',
  }),
  max_concurrent_handlers: num({
    default: 4,
    min: 1,
    int: true,
    unit: 'handlers',
    reload: 'restart',
    description: 'Handlers running at once over all subsystems; floors never wait for a slot.',
  }),
  retention_days: num({
    default: 30,
    gt: 0,
    unit: 'days',
    reload: 'restart',
    description: 'Records of resolved alerts older than this are compacted away.',
  }),
} satisfies Keys;

/** `flapping:` — a subsystem that keeps going unhealthy holds a protective floor until it is stable. */
export const FLAPPING_KEYS = {
  episodes: num({
    default: 3,
    min: 2,
    int: true,
    unit: 'count',
    reload: 'live',
    description:
      'Unhealthy episodes within `window_sec` that make a subsystem flapping (its floor holds, SelfHealSubsystemFlapping pages).',
  }),
  window_sec: num({ default: 900, ...timer, reload: 'live', description: 'How far back unhealthy episodes are counted.' }),
  stable_sec: num({
    default: 600,
    ...timer,
    reload: 'live',
    description: 'Healthy this long, without a break, ends flapping and lifts its floor.',
  }),
} satisfies Keys;

/** `demo:` — the bundled platform simulator. */
export const DEMO_KEYS = {
  enabled: bool({ default: false, reload: 'restart', description: 'Run the built-in platform simulator inside `selfheal serve`.' }),
  interval_sec: num({ default: 1, ...timer, reload: 'restart', description: 'How often the simulator writes.' }),
} satisfies Keys;

/** `console:` — the operator page. */
export const CONSOLE_KEYS = {
  grafana_url: optStr({
    pattern: HTTP_URL,
    reload: 'live',
    description: 'Base URL of Grafana; the console then links to the selfheal dashboards there.',
  }),
} satisfies Keys;

/** The keys every subsystem has, whatever its check type (`subsystems.NAME.*`). */
export const SUBSYSTEM_KEYS = {
  enabled: bool({ default: true, reload: 'restart', description: 'Check it at all (which subsystems run is fixed at start).' }),
  check: oneOf(CHECK_TYPES, {
    defaultText: "built-in: the guide's; own: required",
    reload: 'live',
    description: 'The check type; its own keys follow (below).',
  }),
  critical_for_trading: oneOf(TRADING_CRITICALITIES, {
    defaultText: 'built-in: the guide; own: partial',
    reload: 'live',
    description: "The guide's column: yes → `critical_check_interval` and trading floors.",
  }),
  dependents: custom<string[] | '*'>(
    'list of subsystems, or "*"',
    {
      defaultText: "built-in: the guide's map; own: none",
      reload: 'live',
      description: 'Subsystems that depend on this one ("*": every other).',
    },
    (s, k, def) => (s.raw[k] === '*' ? (s.raw_(k), '*' as const) : s.stringList(k, def === '*' || def === undefined ? [] : def)),
    () => ({ oneOf: [{ const: '*' }, { type: 'array', items: { type: 'string', minLength: 1 } }] }),
  ),
  timeout_sec: num({ ...timer, defaultText: '`check_timeout_sec`', reload: 'live', description: "The check's timeout." }),
} satisfies Keys;

/** The sections below the top level, in the order the docs list them. */
export const SECTIONS = {
  api: API_KEYS,
  policy: POLICY_KEYS,
  receiver: RECEIVER_KEYS,
  recovery: RECOVERY_KEYS,
  flapping: FLAPPING_KEYS,
  demo: DEMO_KEYS,
  console: CONSOLE_KEYS,
} satisfies Record<string, Keys>;
