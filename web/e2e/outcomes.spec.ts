import { expect, test } from '@playwright/test';
import { THERAPIST, expectAccessible, screenshot, signIn, useEnglish } from './helpers';

test("John's NDI chart shows his worsening against the MCID, with its flag; the therapist attaches the HIT-6", async ({ page }) => {
  await signIn(page, THERAPIST);
  await useEnglish(page);
  await page.getByRole('link', { name: 'John Demo' }).click();

  // The demo: John's NDI went from 24 to 32, beyond its MCID of 7.5, which raised a flag.
  const outcomes = page.getByRole('region', { name: 'Outcome measures' });
  await expect(outcomes.getByTestId('outcome-chart-NDI').locator('canvas')).toBeVisible();
  await expect(outcomes.getByTestId('outcome-NDI')).toContainText('worsened by 8 points');
  await expect(outcomes.getByTestId('outcome-NDI')).toContainText('Minimal clinically important difference: 7.5 points (Young');
  await expect(page.getByRole('region', { name: 'Flags' }).getByRole('link', { name: 'Outcome worsened' })).toBeVisible();

  const questionnaires = page.getByRole('region', { name: 'Questionnaires' });
  await expect(questionnaires.getByRole('listitem').filter({ hasText: 'Neck Disability Index' })).toBeVisible();
  await questionnaires.getByLabel('Questionnaire', { exact: true }).selectOption('HIT-6');
  await questionnaires.getByRole('button', { name: 'Attach' }).click();
  await expect(questionnaires.getByRole('status')).toHaveText('Attached.');
  await expect(questionnaires.getByRole('listitem').filter({ hasText: 'every 4 weeks' })).toHaveCount(1);
  await expectAccessible(page, 'patient page with outcomes');
  await screenshot(page, 'patient-outcomes');
});
