import { expect, test } from '@playwright/test';
import { THERAPIST, signIn } from './helpers';

// LOAD_BUDGET_MS may loosen it on a host known to be slow or shared; the figure is always printed.
const BUDGET_MS = Number(process.env.LOAD_BUDGET_MS ?? 1000);

// The patient page from a cold browser cache (a new context holding only a refresh cookie),
// timed by the page's own clock: from navigation start until both charts have been drawn
// (the console marks that) and the main thread is free again. The median of three loads is
// held to the budget.
test('the patient page is interactive within a second on loopback', async ({ page, browser, baseURL }) => {
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
  console.log(`budget: patient page interactive in ${median} ms (median of ${timings.join(', ')} ms; limit ${BUDGET_MS} ms)`);
  expect(median).toBeLessThan(BUDGET_MS);
});
