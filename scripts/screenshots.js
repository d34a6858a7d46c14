#!/usr/bin/env node
// Regenerates the console screenshots in docs/ from the bundled demo (`npm run screenshots`):
// a healthy platform, then the same platform during a fault, in the real headless Chromium the
// browser tests use. Nothing is edited by hand.
'use strict';
const { cpSync, mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const dist = (p) => require(join(ROOT, 'dist', p));
const { loadConfig } = dist('src/config/load');
const { Service } = dist('src/serve/service');
const { createReceiver } = dist('src/serve/receiver');
const { fixedResources } = dist('src/detect/resources'); // the host's own load must not colour the pictures
const { silentLogger } = dist('src/log/logger');
const { startSimulator, writeFaults } = dist('src/demo/simulator');
const { browser, closeBrowser } = dist('test/helpers/browser');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, fn, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const hook = (url, alerts) =>
  fetch(`${url}/alertmanager/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      version: '4',
      status: 'firing',
      receiver: 'selfheal-recovery',
      groupKey: '{}:{}',
      truncatedAlerts: 0,
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://alertmanager:9093',
      alerts: alerts.map((a) => ({
        status: 'firing',
        labels: { alertname: a.alertname, instance: 'demo:8477', job: 'selfheal', ...a.labels },
        annotations: { summary: a.alertname },
        startsAt: new Date().toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus/graph',
        fingerprint: a.fingerprint,
      })),
    }),
  });

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'selfheal-screens-'));
  cpSync(join(ROOT, 'demo'), dir, { recursive: true, filter: (p) => !p.includes(`${join(ROOT, 'demo', 'run')}`) });
  const config = loadConfig(join(dir, 'selfheal.yml'));
  config.console.grafana_url = 'http://127.0.0.1:3000';
  const stopSim = startSimulator(config);
  const svc = new Service(config, { resources: fixedResources(), logger: silentLogger() });
  svc.use(createReceiver(svc));
  const addr = await svc.start('127.0.0.1', 0);
  const url = `http://127.0.0.1:${addr.port}`;
  const policy = async () => (await (await fetch(`${url}/policy`)).json()).policy;
  try {
    const b = await browser();
    const page = await b.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${url}/`);
    await until('the demo to reach allow_all', async () => (await policy()) === 'allow_all');
    await page.waitForSelector('[data-testid="policy"]:text-is("allow_all")');
    await sleep(1200); // let the 1-second countdowns settle on a whole second
    await page.screenshot({ path: join(ROOT, 'docs', 'console-healthy.png'), fullPage: true });

    writeFaults(config.data_dir, ['ai_model', 'event_executor']);
    await hook(url, [
      {
        alertname: 'SelfHealSubsystemCritical',
        labels: { subsystem: 'ai_model', issue_severity: 'critical', severity: 'critical' },
        fingerprint: 'demo-ai',
      },
      {
        alertname: 'SelfHealSafetyPolicyDefensive',
        labels: { subsystem: 'event_executor', action: 'close_all_positions', severity: 'critical' },
        fingerprint: 'demo-close',
      },
    ]);
    await page.waitForSelector('tr[data-subsystem="event_executor"][data-status="degraded"]', { timeout: 60_000 });
    await page.waitForSelector('[data-approval-id]');
    await sleep(1200);
    await page.screenshot({ path: join(ROOT, 'docs', 'console-fault.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await sleep(300);
    await page.screenshot({ path: join(ROOT, 'docs', 'console-phone.png') });
    console.log('wrote docs/console-healthy.png, docs/console-fault.png, docs/console-phone.png');
  } finally {
    await closeBrowser();
    stopSim();
    await svc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
