// Bundle budget: the JavaScript a first visit downloads before the console can draw anything
// (the entry module and what index.html preloads), gzipped. Lazy chunks (charts, the patient
// page, the QR code) are listed but not counted. Exits non-zero over the bundle budget. Also
// prints the last measured load time (e2e/budgets.spec.ts) as PASS or FAIL against its goal,
// which never fails the build: on a shared host it measures the host as much as the console.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 250;
// --load-only: just the last load-time measurement (make web-e2e prints it after its run).
const loadOnly = process.argv.includes('--load-only');
let total = 0;
if (!loadOnly) {
  const dist = new URL('../dist/', import.meta.url).pathname;
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const initial = [...new Set([...html.matchAll(/<(?:script[^>]+src|link[^>]+rel="modulepreload"[^>]+href)="\/console\/([^"]+\.js)"/g)].map((m) => m[1]))];
  if (initial.length === 0) throw new Error('no entry script found in dist/index.html');

  const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length / 1024;
  total = initial.reduce((sum, file) => sum + gz(file), 0);
  for (const file of initial) console.log(`initial  ${file.padEnd(44)} ${gz(file).toFixed(1).padStart(7)} KB gz`);
  for (const f of readdirSync(join(dist, 'assets')).filter((name) => name.endsWith('.js') && !initial.includes(`assets/${name}`)))
    console.log(`lazy     assets/${f.padEnd(37)} ${gz(`assets/${f}`).toFixed(1).padStart(7)} KB gz`);
  console.log(`bundle: ${total > BUDGET_KB ? 'FAIL' : 'PASS'}: initial JavaScript ${total.toFixed(1)} KB gzipped (limit ${BUDGET_KB} KB)`);
}
// The load-time goal is a measurement, not a check: the e2e run times the patient page and
// writes e2e-artifacts/load-time.json; its last figure is printed here when there is one.
const loadTime = new URL('../e2e-artifacts/load-time.json', import.meta.url).pathname;
if (existsSync(loadTime)) {
  const run = JSON.parse(readFileSync(loadTime, 'utf8'));
  const verdict = run.median_ms < run.goal_ms ? 'PASS' : 'FAIL';
  console.log(
    `load: ${verdict} (goal ${run.goal_ms} ms; measured, not a check): patient page interactive in ${run.median_ms} ms median over ${run.runs} cold loads ` +
      `at the e2e run of ${run.measured_at ?? '?'} (min ${run.min_ms}, p25 ${run.p25_ms}, p75 ${run.p75_ms}, max ${run.max_ms}; main thread ${run.main_thread_cpu_median_ms} ms CPU)`,
  );
  console.log(
    `      references in the same browser: cold /healthz load ${run.reference_median_ms} ms (ratio ${run.ratio}), ` +
      `fixed script work ${run.cpu_reference_median_ms} ms (ratio ${run.cpu_ratio})`,
  );
} else {
  console.log('load: patient page load time not yet measured (the e2e run writes e2e-artifacts/load-time.json)');
}
if (total > BUDGET_KB) {
  console.error(`over budget by ${(total - BUDGET_KB).toFixed(1)} KB`);
  process.exit(1);
}
