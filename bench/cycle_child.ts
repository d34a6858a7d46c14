// Child process for the cycle benchmark: `naive` or `ours` at N file-based subsystems, in a fresh heap.
// Reports the median cycle time of 5 and the longest event-loop stall over those 5 cycles (ours: until
// the gzipped OpenMetrics body a Prometheus scrape asks for is ready).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fixedResources } from '../src/detect/resources';
import { silentLogger } from '../src/log/logger';
import { Service } from '../src/serve/service';
import { benchPlatform } from './fixture';
import { NaiveExporter } from './naive';

async function measure(cycle: () => Promise<unknown>): Promise<{ ms: number; stall: number }> {
  await cycle(); // warm
  const times: number[] = [];
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await cycle();
    times.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 50));
  }
  h.disable();
  times.sort((a, b) => a - b);
  return { ms: times[2], stall: h.max / 1e6 };
}

async function main() {
  const [mode, nArg] = process.argv.slice(2);
  const { config } = benchPlatform(Number(nArg));
  let result: { ms: number; stall: number };
  if (mode === 'naive') {
    const naive = new NaiveExporter(config, fixedResources());
    result = await measure(async () => {
      await naive.cycle();
      await naive.registry.metrics(); // a scrape's render
    });
  } else {
    const svc = new Service(config, { resources: fixedResources(), logger: silentLogger(), watchFiles: false, schedule: false });
    await svc.monitor.start();
    result = await measure(async () => {
      await svc.monitor.forceCheck();
      // What Prometheus's next scrape needs: the OpenMetrics body, gzipped (in the thread pool at this size).
      await (await svc.metrics.render()).get({ format: 'openmetrics', gzip: true });
    });
    await svc.stop();
  }
  process.send?.(result, () => process.exit(0));
}

void main();
