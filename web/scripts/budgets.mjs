// Bundle budget: the JavaScript a first visit downloads before the console can draw anything
// (the entry module and what index.html preloads), gzipped. Lazy chunks (charts, the patient
// page, the QR code) are listed but not counted. Exits non-zero over the bundle budget.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 250;
const dist = new URL('../dist/', import.meta.url).pathname;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const initial = [...new Set([...html.matchAll(/<(?:script[^>]+src|link[^>]+rel="modulepreload"[^>]+href)="\/console\/([^"]+\.js)"/g)].map((m) => m[1]))];
if (initial.length === 0) throw new Error('no entry script found in dist/index.html');

const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length / 1024;
const total = initial.reduce((sum, file) => sum + gz(file), 0);
for (const file of initial) console.log(`initial  ${file.padEnd(44)} ${gz(file).toFixed(1).padStart(7)} KB gz`);
for (const f of readdirSync(join(dist, 'assets')).filter((name) => name.endsWith('.js') && !initial.includes(`assets/${name}`)))
  console.log(`lazy     assets/${f.padEnd(37)} ${gz(`assets/${f}`).toFixed(1).padStart(7)} KB gz`);
console.log(`budget: initial JavaScript ${total.toFixed(1)} KB gzipped (limit ${BUDGET_KB} KB)`);
// The load-time goal is a measurement, not a check: the e2e run times the patient page and
// writes e2e-artifacts/load-time.json; its last figure is printed here when there is one.
const loadTime = new URL('../e2e-artifacts/load-time.json', import.meta.url).pathname;
if (existsSync(loadTime)) {
  const { median_ms: median, runs_ms: runs, goal_ms: goal } = JSON.parse(readFileSync(loadTime, 'utf8'));
  console.log(`measured: patient page interactive in ${median} ms at the last e2e run (runs ${runs.join(', ')} ms; goal ${goal} ms, not a check)`);
} else {
  console.log('measured: patient page load time not yet measured (the e2e run writes e2e-artifacts/load-time.json)');
}
if (total > BUDGET_KB) {
  console.error(`over budget by ${(total - BUDGET_KB).toFixed(1)} KB`);
  process.exit(1);
}
