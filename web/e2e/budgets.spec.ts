import { writeFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { THERAPIST, signIn } from './helpers';

// The load-time goal is measured and printed, never asserted: on a shared host the figure says
// more about the machine's load than about the console (house rule: speed is measured by a script
// with figures, not held in a test). The bundle budget (scripts/budgets.mjs) stays a failing check.
const GOAL_MS = 1000;

// The patient page from a cold browser cache (a new context holding only a refresh cookie),
// timed by the page's own clock: from navigation start until both charts have been drawn
// (the console marks that) and the form is usable. The test fails only when the page does not
// become interactive at all; the median of three loads is printed and written to e2e-artifacts/.
test('measure: the patient page becomes interactive on loopback (printed, not asserted)', async ({ page, browser, baseURL }) => {
  await signIn(page, THERAPIST);
  await expect(page.getByRole('link', { name: 'John Demo' })).toBeVisible();
  const johnUrl = await page.getByRole('link', { name: 'John Demo' }).getAttribute('href');

  const timings: number[] = [];
  for (let run = 0; run < 3; run += 1) {
    const context = await browser.newContext({ baseURL });
    // Each load has its own session: a refresh cookie is single use.
    const login = await context.request.post('/api/v1/auth/login', { data: THERAPIST, headers: { 'X-Token-Delivery': 'cookie' } });
    expect(login.ok()).toBe(true);
    const cold = await context.newPage();
    await cold.goto(johnUrl!);
    await cold.waitForFunction(
      () => ['pain-chart', 'adherence-chart'].every((id) => performance.getEntriesByName(`chart-drawn:${id}`).length > 0),
      undefined,
      { polling: 'raf', timeout: 20_000 },
    );
    await expect(cold.locator('#intensity-reason')).toBeEditable();
    const drawn = await cold.evaluate(() =>
      Math.max(...['pain-chart', 'adherence-chart'].map((id) => performance.getEntriesByName(`chart-drawn:${id}`)[0].startTime)),
    );
    timings.push(Math.round(drawn));
    await context.close();
  }
  const median = [...timings].sort((a, b) => a - b)[1];
  const verdict = median < GOAL_MS ? 'met' : 'NOT met on this host';
  console.log(`measured: patient page interactive in ${median} ms (median of ${timings.join(', ')} ms; goal ${GOAL_MS} ms, ${verdict})`);
  writeFileSync('e2e-artifacts/load-time.json', JSON.stringify({ median_ms: median, runs_ms: timings, goal_ms: GOAL_MS }, null, 2));
});
