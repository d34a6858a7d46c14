// The real Docker Engine for the supervisor tests: the CLI that matches Debian's dockerd, and the
// local images the tests run, built once per machine (cached by a hash of their recipe, so a changed
// recipe rebuilds) under a lock, as test files run side by side. No registry is reachable: images
// come from `docker import` of a root filesystem (busybox-static, a debootstrap'd Debian) and from
// `docker build --network host` on top of those, with Debian's packages.
import { execFileSync, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's docker.io CLI (BuildKit built in, matching its dockerd); another `docker` on PATH otherwise. */
export const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
export const DOCKER_SOCKET = '/var/run/docker.sock';

/** Runs the docker CLI; throws with its stderr when it fails. */
export function docker(args: string[], opts: SpawnSyncOptions = {}): string {
  const r = spawnSync(DOCKER, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.status !== 0) throw new Error(`docker ${args.slice(0, 3).join(' ')} … failed (${r.status}): ${String(r.stderr).slice(-3000)}`);
  return String(r.stdout).trim();
}

/** Whether the Engine answers on its socket. */
export function engineAnswers(socket = DOCKER_SOCKET): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** The heartbeat loop both test supervisors run: event_executor's state file, while /hb/hang is absent. */
export const HEARTBEAT_SCRIPT = `#!/bin/sh
# A restart is a fresh process: it forgets the hang.
rm -f /hb/hang
trap 'exit 0' TERM INT
while :; do
  if [ ! -e /hb/hang ]; then
    printf '{"last_cycle_timestamp": %s}\\n' "$(date +%s)" > /hb/.state.tmp && mv /hb/.state.tmp /hb/event_executor_state.json
  fi
  sleep 0.2
done
`;

const HEARTBEAT_UNIT = `[Unit]
Description=selfheal test: event_executor heartbeat

[Service]
ExecStart=/bin/sh /usr/local/bin/heartbeat.sh

[Install]
WantedBy=multi-user.target
`;

const SYSTEMD_DOCKERFILE = (from: string) => `FROM ${from}
RUN apt-get update && apt-get install -y --no-install-recommends systemd systemd-sysv dbus && rm -rf /var/lib/apt/lists/* \\
 && find /etc/systemd/system /lib/systemd/system -path '*.wants/*' \\( -name '*getty*' -o -name '*udev*' -o -name 'systemd-logind*' -o -name 'systemd-timesyncd*' -o -name '*networkd*' -o -name '*resolved*' \\) -delete
COPY heartbeat.sh /usr/local/bin/heartbeat.sh
COPY heartbeat.service /etc/systemd/system/heartbeat.service
RUN mkdir -p /etc/systemd/system/multi-user.target.wants && ln -s /etc/systemd/system/heartbeat.service /etc/systemd/system/multi-user.target.wants/heartbeat.service
ENV container=docker
STOPSIGNAL SIGRTMIN+3
CMD ["/lib/systemd/systemd"]
`;

/** The Dockerfile's base image, made locally: Debian plus this machine's Node 20 (binary, headers, npm) and the `node` user. */
const NODE_BASE_DOCKERFILE = (from: string) => `FROM ${from}
COPY node /usr/bin/node
COPY include /usr/include/node
COPY npm /usr/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/bin/npx \\
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/sh --create-home node && node --version && npm --version
CMD ["node"]
`;

/** Prometheus and Alertmanager from Debian's packages (one image, two commands). */
const PROMETHEUS_DOCKERFILE = (from: string) => `FROM ${from}
RUN apt-get update && apt-get install -y --no-install-recommends prometheus prometheus-alertmanager && rm -rf /var/lib/apt/lists/*
USER prometheus
`;

const hash = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 12);

export interface TestImages {
  busybox: string;
  debian: string;
  systemd: string;
  nodeBase: string;
  prometheus: string;
}

const TAGS = (() => {
  const debian = `selfheal-test/debian:bookworm-${hash('minbase-1')}`;
  return {
    busybox: `selfheal-test/busybox:${hash(HEARTBEAT_SCRIPT, 'busybox-1')}`,
    debian,
    systemd: `selfheal-test/systemd:${hash(debian, SYSTEMD_DOCKERFILE(''), HEARTBEAT_SCRIPT, HEARTBEAT_UNIT)}`,
    nodeBase: `selfheal-test/node-base:20-${hash(debian, NODE_BASE_DOCKERFILE(''), process.version)}`,
    prometheus: `selfheal-test/prometheus:${hash(debian, PROMETHEUS_DOCKERFILE(''))}`,
  };
})();

const exists = (tag: string) => spawnSync(DOCKER, ['image', 'inspect', tag], { stdio: 'ignore' }).status === 0;

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'selfheal-image-'));
}

/** busybox-static and its applets, the heartbeat script: about 2 MB. */
function buildBusybox(tag: string): void {
  const root = scratch();
  try {
    mkdirSync(join(root, 'bin'), { recursive: true });
    mkdirSync(join(root, 'tmp'), { mode: 0o1777 });
    mkdirSync(join(root, 'hb'));
    cpSync(existsSync('/bin/busybox') ? '/bin/busybox' : '/usr/bin/busybox', join(root, 'bin/busybox'));
    const applets = execFileSync(join(root, 'bin/busybox'), ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const a of applets) if (a !== 'busybox') symlinkSync('busybox', join(root, 'bin', a));
    writeFileSync(join(root, 'bin/heartbeat.sh'), HEARTBEAT_SCRIPT);
    chmodSync(join(root, 'bin/heartbeat.sh'), 0o755);
    importRoot(root, tag, ['CMD ["/bin/sh", "/bin/heartbeat.sh"]']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function importRoot(root: string, tag: string, changes: string[]): void {
  const tar = spawnSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 2 * 1024 * 1024 * 1024 });
  if (tar.status !== 0) throw new Error(`tar of ${root} failed: ${String(tar.stderr)}`);
  docker(['import', ...changes.flatMap((c) => ['--change', c]), '-', tag], { input: tar.stdout });
}

/** Debian bookworm, minbase: about 30 s from the mirror. */
function buildDebian(tag: string): void {
  const root = scratch();
  try {
    const r = spawnSync('debootstrap', ['--variant=minbase', 'bookworm', join(root, 'rootfs'), 'http://deb.debian.org/debian'], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`debootstrap failed: ${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}`);
    importRoot(join(root, 'rootfs'), tag, ['CMD ["/bin/bash"]']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** `docker build --network host` of a Dockerfile text with the given files beside it. */
function buildFrom(tag: string, dockerfile: string, files: Record<string, string> = {}, dirs: Record<string, string> = {}): void {
  const ctx = scratch();
  try {
    writeFileSync(join(ctx, 'Dockerfile'), dockerfile);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(ctx, name), text);
    for (const [name, src] of Object.entries(dirs)) cpSync(src, join(ctx, name), { recursive: true, dereference: true });
    docker(['build', '--network', 'host', '-t', tag, ctx], { env: { ...process.env, DOCKER_BUILDKIT: '1' } });
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

/** This machine's Node: the binary, its headers (node-gyp builds better-sqlite3 against them) and npm. */
function nodeFiles(): Record<string, string> {
  const npm = ['/usr/lib/node_modules/npm', '/usr/local/lib/node_modules/npm'].find((d) => existsSync(d));
  const include = ['/usr/include/node', '/usr/local/include/node'].find((d) => existsSync(d));
  if (!npm || !include) throw new Error('this machine has no npm or Node headers to put in the local base image');
  return { node: process.execPath, include, npm };
}

/** An exclusive lock among test files building at once (mkdir is atomic); a dead holder's lock is taken over. */
async function withLock<T>(fn: () => T): Promise<T> {
  const dir = join(tmpdir(), 'selfheal-test-images.lock');
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      break;
    } catch {
      let holder = 0;
      try {
        holder = Number(readdirSync(dir).includes('pid') ? readFileSync(join(dir, 'pid'), 'utf8') : 0);
        if (holder) process.kill(holder, 0);
      } catch {
        rmSync(dir, { recursive: true, force: true }); // its holder is gone
        continue;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Removes test containers whose test process is gone (a test file killed by its timeout runs no
 * after hook): their names carry the creating process's pid (uniqueName).
 */
function sweep(): void {
  const names = spawnSync(DOCKER, ['ps', '-a', '--filter', 'name=selfheal-test-', '--format', '{{.Names}}'], { encoding: 'utf8' });
  const dead = String(names.stdout ?? '')
    .split('\n')
    .filter((n) => {
      const pid = Number(/^selfheal-test-.+-(\d+)-[a-z0-9]+$/.exec(n)?.[1] ?? 0);
      if (!pid) return false;
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
  removeContainers(...dead);
}

/** Builds whichever of the test images is missing; returns their tags. */
export async function ensureImages(which: (keyof TestImages)[] = ['busybox', 'systemd', 'nodeBase', 'prometheus']): Promise<TestImages> {
  if (!(await engineAnswers()))
    throw new Error(`no Docker Engine answers on ${DOCKER_SOCKET}: run node scripts/ensure-tools.js (as root) to start one`);
  sweep();
  if (which.every((k) => exists(TAGS[k]))) return TAGS;
  await withLock(() => {
    const needDebian = which.some((k) => k !== 'busybox' && !exists(TAGS[k]));
    if (which.includes('busybox') && !exists(TAGS.busybox)) buildBusybox(TAGS.busybox);
    if (needDebian && !exists(TAGS.debian)) buildDebian(TAGS.debian);
    if (which.includes('systemd') && !exists(TAGS.systemd))
      buildFrom(TAGS.systemd, SYSTEMD_DOCKERFILE(TAGS.debian), { 'heartbeat.sh': HEARTBEAT_SCRIPT, 'heartbeat.service': HEARTBEAT_UNIT });
    if (which.includes('nodeBase') && !exists(TAGS.nodeBase)) buildFrom(TAGS.nodeBase, NODE_BASE_DOCKERFILE(TAGS.debian), {}, nodeFiles());
    if (which.includes('prometheus') && !exists(TAGS.prometheus)) buildFrom(TAGS.prometheus, PROMETHEUS_DOCKERFILE(TAGS.debian));
  });
  return TAGS;
}

/** A container name unique to this run. */
export const uniqueName = (what: string) => `selfheal-test-${what}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

/** Removes containers by name, whatever their state (cleanup never fails a test). */
export function removeContainers(...names: string[]): void {
  if (names.length) spawnSync(DOCKER, ['rm', '-f', '-v', ...names], { stdio: 'ignore' });
}

/** The repository's root, the Dockerfile's build context. */
const REPO = join(__dirname, '../../..');

/** The compose file's image name for selfheal. */
export const SELFHEAL_IMAGE = 'selfheal:local';

/**
 * `docker build` of the repository's Dockerfile on the local base image, npm's registry settings as
 * BuildKit secrets (never in a layer). Layers are cached: a second build of the same tree takes seconds.
 */
export function buildSelfhealImage(images: TestImages): string {
  const secrets: string[] = [];
  const npmrc = join(homedir(), '.npmrc');
  if (existsSync(npmrc)) secrets.push('--secret', `id=npmrc,src=${npmrc}`);
  const ca = '/etc/ssl/certs/ca-certificates.crt';
  if (existsSync(ca)) secrets.push('--secret', `id=npm_ca,src=${ca}`);
  docker(['build', '--network', 'host', '--build-arg', `BASE_IMAGE=${images.nodeBase}`, ...secrets, '-t', SELFHEAL_IMAGE, REPO], {
    env: { ...process.env, DOCKER_BUILDKIT: '1' },
  });
  return SELFHEAL_IMAGE;
}

// `node dist/test/helpers/docker.js`: build the images before the tests (CI, npm test's pretest), the
// Dockerfile's too: its first build (apt, npm ci, better-sqlite3 compiled) outlasts a test file's timeout.
if (require.main === module) {
  const t0 = Date.now();
  ensureImages().then(
    (tags) => {
      buildSelfhealImage(tags);
      console.error(
        `test images ready in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${[...Object.values(tags), SELFHEAL_IMAGE].join(' ')}`,
      );
    },
    (err: Error) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
