import { writeFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { THERAPIST, signIn } from './helpers';

// The load-time goal is measured and printed, never asserted: on a shared host the figure says
// more about the machine's load than about the console (house rule: speed is measured by a script
// with figures, not held in a test). The bundle budget (scripts/budgets.mjs) stays a failing check.
const GOAL_MS = 1000;
const RUNS = Number(process.env.LOAD_RUNS ?? 10);

test.setTimeout(60_000 + RUNS * 20_000);

interface Run {
  interactive: number;
  reference: number;
  cpuReference: number;
  mainThreadCpu: number;
  phases: Record<string, [number, number]>;
  redraws: number;
  longTasks: number;
}

/** Injected before the console's own code: notes when the progress / regress form is usable. */
function watchForm() {
  const record = window as unknown as { formReady?: number };
  const observer = new MutationObserver(() => {
    const reason = document.getElementById('intensity-reason') as HTMLTextAreaElement | null;
    const directions = [...document.querySelectorAll<HTMLInputElement>('input[name="direction"]')];
    if (reason && !reason.disabled && directions.length === 2 && directions.every((input) => !input.disabled)) {
      record.formReady = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true });
}

/** Where one load's time went, read from the page's own resource timings and marks. */
async function phasesOf(page: Page) {
  return page.evaluate(() => {
    const span = (pattern: RegExp): [number, number] | null => {
      const hits = performance.getEntriesByType('resource').filter((entry) => pattern.test(new URL(entry.name).pathname)) as PerformanceResourceTiming[];
      if (!hits.length) return null;
      return [Math.min(...hits.map((h) => h.startTime)), Math.max(...hits.map((h) => h.responseEnd))];
    };
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const mark = (name: string) => performance.getEntriesByName(name)[0]?.startTime ?? NaN;
    const phases: Record<string, [number, number] | null> = {
      'page shell (index.html)': [nav.startTime, nav.responseEnd],
      'entry script': span(/\/assets\/index-[^/]+\.js$/),
      'POST /auth/refresh': span(/\/api\/v1\/auth\/refresh$/),
      'GET /clinic': span(/\/api\/v1\/clinic$/),
      'GET /therapists': span(/\/api\/v1\/therapists$/),
      'patient page chunk': span(/\/assets\/patient-page-[^/]+\.js$/),
      'chart chunk (ECharts)': span(/\/assets\/chart-[^/]+\.js$/),
      'GET /patients/{id}[/…] (5 calls)': span(/\/api\/v1\/patients\/[^/]+(\/(pain|adherence|flags|programmes))?$/),
      'GET /exercises': span(/\/api\/v1\/exercises$/),
      'GET /programmes/{id}/revisions': span(/\/api\/v1\/programmes\/[^/]+\/revisions$/),
      'pain chart drawn': [mark('chart-drawn:pain-chart'), mark('chart-drawn:pain-chart')],
      'adherence chart drawn': [mark('chart-drawn:adherence-chart'), mark('chart-drawn:adherence-chart')],
      'progress / regress form usable': [(window as unknown as { formReady: number }).formReady, (window as unknown as { formReady: number }).formReady],
    };
    return phases;
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  return sorted[low] + (sorted[Math.ceil(position)] - sorted[low]) * (position - low);
};

// The patient page from a cold browser cache (a new context holding only a refresh cookie), timed
// by the page's own clock from navigation start until it is interactive: both charts drawn (the
// console marks each chart's first finished frame) and the progress / regress form usable,
// whichever comes last. Beside each load, in the same context, two references that depend on the
// host's load but not on the console: a cold navigation to /healthz (server and browser) and a
// fixed piece of script work (the browser's share of a core), so a busy host's figures can be
// compared with an idle one's through the ratios. The test fails only when the page does not
// become interactive at all; the figures are printed and written to e2e-artifacts/load-time.json.
test('measure: the patient page becomes interactive on loopback (printed, not asserted)', async ({ page, browser, baseURL }) => {
  await signIn(page, THERAPIST);
  await expect(page.getByRole('link', { name: 'John Demo' })).toBeVisible();
  const johnUrl = await page.getByRole('link', { name: 'John Demo' }).getAttribute('href');

  const runs: Run[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const context = await browser.newContext({ baseURL });
    // Each load has its own session: a refresh cookie is single use.
    const login = await context.request.post('/api/v1/auth/login', { data: THERAPIST, headers: { 'X-Token-Delivery': 'cookie' } });
    expect(login.ok()).toBe(true);

    const probe = await context.newPage();
    await probe.goto('/healthz');
    const reference = await probe.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventEnd);
    // A fixed piece of script work: how much of a core the browser gets on the host just now.
    const [cpuReference] = await probe.evaluate(() => {
      const start = performance.now();
      let hash = 0;
      for (let i = 0; i < 20_000_000; i += 1) hash = (hash * 31 + i) | 0;
      return [performance.now() - start, hash];
    });
    await probe.close();

    const cold = await context.newPage();
    await cold.addInitScript(watchForm);
    await cold.addInitScript(() => {
      const record = window as unknown as { longTasks: number };
      record.longTasks = 0;
      new PerformanceObserver((list) => list.getEntries().forEach((entry) => (record.longTasks += entry.duration))).observe({ type: 'longtask', buffered: true });
    });
    // The renderer's main-thread CPU time, which a busy host stretches far less than the clock.
    const devtools = await context.newCDPSession(cold);
    await devtools.send('Performance.enable', { timeDomain: 'threadTicks' });
    await cold.goto(johnUrl!);
    await cold.waitForFunction(
      () =>
        ['pain-chart', 'adherence-chart'].every((id) => performance.getEntriesByName(`chart-drawn:${id}`).length > 0) &&
        (window as unknown as { formReady?: number }).formReady !== undefined,
      undefined,
      { polling: 'raf', timeout: 20_000 },
    );
    const { metrics } = await devtools.send('Performance.getMetrics');
    const mainThreadCpu = 1000 * (metrics.find((metric) => metric.name === 'ThreadTime')?.value ?? NaN);
    await expect(cold.locator('#intensity-reason')).toBeEditable();
    const phases = await phasesOf(cold);
    const interactive = Math.max(phases['pain chart drawn']![1], phases['adherence chart drawn']![1], phases['progress / regress form usable']![1]);
    // A chart drawn again after its first frame (new data or a re-render) shows as more canvases.
    await cold.waitForTimeout(300);
    const redraws = await cold.evaluate(() => document.querySelectorAll('[data-testid$="-chart"] canvas').length);
    const longTasks = await cold.evaluate(() => (window as unknown as { longTasks: number }).longTasks);
    runs.push({
      interactive: Math.round(interactive),
      reference: Math.round(reference),
      cpuReference: Math.round(cpuReference),
      mainThreadCpu: Math.round(mainThreadCpu),
      phases: Object.fromEntries(Object.entries(phases).filter(([, v]) => v !== null).map(([k, v]) => [k, v!])),
      redraws,
      longTasks: Math.round(longTasks),
    });
    await context.close();
  }

  const timings = runs.map((r) => r.interactive);
  const references = runs.map((r) => r.reference);
  const cpuReferences = runs.map((r) => r.cpuReference);
  const result = {
    measured_at: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    goal_ms: GOAL_MS,
    runs: RUNS,
    median_ms: Math.round(median(timings)),
    min_ms: Math.min(...timings),
    max_ms: Math.max(...timings),
    p25_ms: Math.round(quantile(timings, 0.25)),
    p75_ms: Math.round(quantile(timings, 0.75)),
    runs_ms: timings,
    reference_median_ms: Math.round(median(references)),
    reference_runs_ms: references,
    ratio: Math.round((median(timings) / median(references)) * 10) / 10,
    cpu_reference_median_ms: Math.round(median(cpuReferences)),
    cpu_reference_runs_ms: cpuReferences,
    cpu_ratio: Math.round((median(timings) / median(cpuReferences)) * 10) / 10,
    main_thread_cpu_median_ms: Math.round(median(runs.map((r) => r.mainThreadCpu))),
    main_thread_cpu_runs_ms: runs.map((r) => r.mainThreadCpu),
  };
  console.log('where the time goes (median over the runs, ms from navigation start: start → end):');
  for (const name of Object.keys(runs[0].phases)) {
    const present = runs.filter((r) => r.phases[name]);
    const start = median(present.map((r) => r.phases[name][0]));
    const end = median(present.map((r) => r.phases[name][1]));
    console.log(`  ${name.padEnd(36)} ${start.toFixed(0).padStart(5)} → ${end.toFixed(0).padStart(5)}`);
  }
  console.log(
    `  main thread: ${result.main_thread_cpu_median_ms} ms of CPU time by then, long tasks ${median(runs.map((r) => r.longTasks))} ms (medians); ` +
      `chart canvases after load: ${runs.map((r) => r.redraws).join(',')}`,
  );
  const verdict = result.median_ms < GOAL_MS ? 'met' : 'NOT met on this host';
  console.log(
    `measured: patient page interactive in ${result.median_ms} ms median over ${RUNS} cold loads ` +
      `(min ${result.min_ms}, p25 ${result.p25_ms}, p75 ${result.p75_ms}, max ${result.max_ms}; goal ${GOAL_MS} ms, ${verdict}); ` +
      `references in the same browser: a cold /healthz load ${result.reference_median_ms} ms median (ratio ${result.ratio}), ` +
      `a fixed script workload ${result.cpu_reference_median_ms} ms median (ratio ${result.cpu_ratio})`,
  );
  writeFileSync('e2e-artifacts/load-time.json', JSON.stringify(result, null, 2));
});

// The cold load's requests, started ahead of the page's code, are the ones the page then uses:
// none is sent twice, and nothing else is asked for.
test('a cold patient page asks the API for each thing once', async ({ page, browser, baseURL }) => {
  await signIn(page, THERAPIST);
  const johnUrl = await page.getByRole('link', { name: 'John Demo' }).getAttribute('href');
  const context = await browser.newContext({ baseURL });
  await context.request.post('/api/v1/auth/login', { data: THERAPIST, headers: { 'X-Token-Delivery': 'cookie' } });
  const cold = await context.newPage();
  const asked: string[] = [];
  cold.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/api/')) asked.push(`${request.method()} ${url.pathname}${url.search}`);
  });
  await cold.goto(johnUrl!);
  await expect(cold.getByTestId('pain-chart').locator('canvas')).toBeVisible();
  await expect(cold.getByTestId('adherence-chart').locator('canvas')).toBeVisible();
  await expect(cold.locator('#intensity-reason')).toBeEditable();
  const paths = asked.map((line) => line.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '{id}').replace(/\?.*/, ''));
  expect(paths.filter((path, index) => paths.indexOf(path) !== index), 'requests sent twice').toEqual([]);
  expect(paths.toSorted()).toEqual(
    [
      'POST /api/v1/auth/refresh',
      'GET /api/v1/clinic',
      'GET /api/v1/therapists',
      'GET /api/v1/exercises',
      'GET /api/v1/patients/{id}',
      'GET /api/v1/patients/{id}/pain',
      'GET /api/v1/patients/{id}/adherence',
      'GET /api/v1/patients/{id}/flags',
      'GET /api/v1/patients/{id}/programmes',
      'GET /api/v1/programmes/{id}/revisions',
      'GET /api/v1/patients/{id}/measures',
      'GET /api/v1/measures',
      'GET /api/v1/programmes/{id}/measures',
    ].toSorted(),
  );
  await context.close();
});
