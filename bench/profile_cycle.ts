// node --cpu-prof dist/bench/profile_cycle.js N: one warm 10k cycle to profile.
import { fixedResources } from '../src/detect/resources';
import { silentLogger } from '../src/log/logger';
import { Service } from '../src/serve/service';
import { benchPlatform } from './fixture';

async function main() {
  const n = Number(process.argv[2] ?? 10000);
  const { config } = benchPlatform(n);
  const svc = new Service(config, { resources: fixedResources(), logger: silentLogger(), watchFiles: false, schedule: false });
  await svc.monitor.start();
  for (let i = 0; i < 3; i++) {
    const marks: [string, number][] = [];
    const t0 = performance.now();
    await svc.monitor.forceCheck();
    marks.push(['forceCheck (checks + report)', performance.now() - t0]);
    const t1 = performance.now();
    await svc.metrics.render();
    marks.push(['metrics refresh', performance.now() - t1]);
    console.log(marks.map(([k, v]) => `${k}: ${v.toFixed(1)} ms`).join('; '));
  }
  process.exit(0);
}
void main();
