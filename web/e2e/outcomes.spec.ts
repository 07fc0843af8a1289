import { expect, test, type APIRequestContext } from '@playwright/test';
import { JOHN, THERAPIST, expectAccessible, screenshot, signIn, useEnglish } from './helpers';

type Item = { key: string; options: { value: number; score: number }[] };

/** John answers the NDI through the API, choosing each item's option so the total is `total`. */
async function answerNdi(request: APIRequestContext, token: string, items: Item[], total: number, daysAgo: number) {
  let left = total;
  const answers = items.map((item) => {
    const option = [...item.options].sort((a, b) => b.score - a.score).find((o) => o.score <= left) ?? item.options[0];
    left -= option.score;
    return { item: item.key, value: option.value };
  });
  const recordedAt = new Date(Date.now() - daysAgo * 86_400_000).toISOString();
  const response = await request.post('/api/v1/me/measure-responses', {
    headers: { Authorization: `Bearer ${token}` },
    data: { id: crypto.randomUUID(), recorded_at: recordedAt, measure: 'NDI', answers },
  });
  expect(response.status(), await response.text()).toBe(201);
  return response.json();
}

test('the therapist attaches the NDI; John answers it twice; the outcome chart shows the change against the MCID', async ({ page, request }) => {
  await signIn(page, THERAPIST);
  await useEnglish(page);
  await page.getByRole('link', { name: 'John Demo' }).click();
  const questionnaires = page.getByRole('region', { name: 'Questionnaires' });
  await questionnaires.getByLabel('Questionnaire', { exact: true }).selectOption('NDI');
  await questionnaires.getByRole('button', { name: 'Attach' }).click();
  await expect(questionnaires.getByRole('status')).toHaveText('Attached.');
  await expect(questionnaires.getByRole('listitem').filter({ hasText: 'every 4 weeks' }).first()).toBeVisible();

  const login = await request.post('/api/v1/auth/login', { data: JOHN });
  const token = (await login.json()).access_token;
  const library = await (await request.get('/api/v1/measures', { headers: { Authorization: `Bearer ${token}` } })).json();
  const ndi = library.items.find((m: { code: string }) => m.code === 'NDI');
  await answerNdi(request, token, ndi.items, 24, 20);
  const second = await answerNdi(request, token, ndi.items, 14, 1);
  expect([second.change, second.interpretation]).toEqual([10, 'improved']);

  await page.reload();
  const outcomes = page.getByRole('region', { name: 'Outcome measures' });
  await expect(outcomes.getByTestId('outcome-chart-NDI').locator('canvas')).toBeVisible();
  await expect(outcomes.getByTestId('outcome-NDI')).toContainText('improved by 10 points');
  await expect(outcomes.getByTestId('outcome-NDI')).toContainText('Minimal clinically important difference: 7.5 points');
  await expectAccessible(page, 'patient page with outcomes');
  await screenshot(page, 'patient-outcomes');
});
