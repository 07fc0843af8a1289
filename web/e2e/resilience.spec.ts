import { expect, test } from '@playwright/test';
import { THERAPIST, expectAccessible, screenshot, signIn, useEnglish } from './helpers';

test.use({ viewport: { width: 1024, height: 768 } });

test('on a 1024 px tablet the patient page fits, and a lost connection keeps the reason and sends it on return', async ({ page, context }) => {
  await signIn(page, THERAPIST);
  await useEnglish(page);
  await page.getByRole('link', { name: 'John Demo' }).click();
  await expect(page.getByTestId('pain-chart').locator('canvas')).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1024);
  await expectAccessible(page, 'patient page at 1024 px');
  await screenshot(page, 'patient-page-1024');

  const programme = page.getByRole('region', { name: 'Programme in force' });
  await programme.getByLabel('Reason').fill('Written before the connection dropped');
  await context.setOffline(true);
  await programme.getByRole('button', { name: 'Regress the programme' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'No connection' })).toBeVisible();
  await expect(programme.getByText('Waiting for the connection')).toBeVisible();
  await expect(programme.getByLabel('Reason')).toHaveValue('Written before the connection dropped');
  // Back online, the request goes out and the API's answer arrives (every item is already on
  // its ladder's first level, so this regress is refused, in words).
  await context.setOffline(false);
  await expect(programme.getByRole('alert')).toContainText('the bottom of its ladder');
  await expect(programme.getByLabel('Reason')).toHaveValue('Written before the connection dropped');
});

test('the keyboard alone reaches the patient list from the skip link', async ({ page }) => {
  await signIn(page, THERAPIST);
  await useEnglish(page);
  await expect(page.getByRole('link', { name: 'John Demo' })).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Search by name')).toBeFocused();
  await page.keyboard.type('john');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'John Demo' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('John Demo');
});
