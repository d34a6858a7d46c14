// CPU, memory and open connections. Measured during a cycle, never at scrape time.
import { readFile } from 'node:fs/promises';
import si from 'systeminformation';
import type { ResourceUsage } from '../types';

export type ResourceProbe = () => Promise<ResourceUsage>;

/** Counts ESTABLISHED sockets from /proc (cheap; no subprocess as `ss`/`netstat` would need). */
async function procConnections(): Promise<number | null> {
  let total = 0;
  let seen = false;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      const lines = (await readFile(f, 'utf8')).split('\n').slice(1);
      seen = true;
      for (const l of lines) if (l.trim().split(/\s+/)[3] === '01') total++;
    } catch {
      /* not Linux, or no IPv6 */
    }
  }
  return seen ? total : null;
}

export const systemResources: ResourceProbe = async () => {
  const [cpu, mem, conns] = await Promise.allSettled([si.currentLoad(), si.mem(), procConnections()]);
  const ratio = (v: number) => Math.min(1, Math.max(0, v));
  return {
    cpu_ratio: cpu.status === 'fulfilled' && Number.isFinite(cpu.value.currentLoad) ? ratio(cpu.value.currentLoad / 100) : null,
    // `active` excludes reclaimable page cache, which `used` would count on Linux.
    memory_ratio: mem.status === 'fulfilled' && mem.value.total > 0 ? ratio((mem.value.active ?? mem.value.used) / mem.value.total) : null,
    open_connections: conns.status === 'fulfilled' ? conns.value : null,
  };
};

export function fixedResources(r: Partial<ResourceUsage> = {}): ResourceProbe {
  return async () => ({ cpu_ratio: 0.1, memory_ratio: 0.2, open_connections: 3, ...r });
}
