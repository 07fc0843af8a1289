import { expect, test, type Page } from '@playwright/test';
import { ADMIN, expectAccessible, screenshot, signIn, useEnglish } from './helpers';

const HIGH_PAIN = "Clinic's value for High pain: any rating from (0–10)";

async function openSettings(page: Page) {
  await page.getByRole('link', { name: 'Clinic' }).click();
  const settings = page.getByRole('region', { name: 'Clinic settings' });
  await expect(settings.getByLabel(/^Emergency number/)).not.toHaveValue('');
  return {
    settings,
    general: settings.getByRole('form', { name: 'Clinic settings' }),
    thresholds: settings.getByRole('form', { name: 'Flag thresholds' }),
    highPain: settings.getByRole('row', { name: /High pain/ }),
  };
}

test('a clinic admin changes the emergency number and a threshold; a reload shows them, with their source', async ({ page }) => {
  await signIn(page, ADMIN);
  await useEnglish(page);
  let screen = await openSettings(page);
  await expect(screen.highPain.getByText('Default', { exact: true })).toBeVisible();
  await expect(screen.highPain.getByRole('cell').nth(0)).toHaveText('8');
  await expectAccessible(page, 'clinic-settings');
  await screenshot(page, 'clinic-settings');

  // Refused values are named beside their fields, and nothing is saved.
  await screen.settings.getByLabel(/^Emergency number/).fill('call us');
  await screen.general.getByRole('button', { name: 'Save' }).click();
  await expect(screen.general.getByText('Some values were not accepted')).toBeVisible();
  await expect(screen.general.getByText('Use 2 to 15 digits, optionally after +.')).toBeVisible();
  await screen.settings.getByLabel(HIGH_PAIN).fill('11');
  await screen.thresholds.getByRole('button', { name: 'Save' }).click();
  await expect(screen.highPain.locator('.field-error')).toBeVisible();
  await expect(screen.settings.getByLabel(HIGH_PAIN)).toHaveAttribute('aria-invalid', 'true');
  await expect(screen.settings.getByLabel(HIGH_PAIN)).toBeFocused();
  await expectAccessible(page, 'clinic-settings-errors');
  await screenshot(page, 'clinic-settings-errors');

  await screen.settings.getByLabel(/^Emergency number/).fill('+902125550199');
  await screen.general.getByRole('button', { name: 'Save' }).click();
  await expect(screen.general.getByRole('status')).toHaveText('Saved.');
  // Saving the general settings keeps the threshold still being typed.
  await expect(screen.settings.getByLabel(HIGH_PAIN)).toHaveValue('11');
  await screen.settings.getByLabel(HIGH_PAIN).fill('9');
  await screen.thresholds.getByRole('button', { name: 'Save' }).click();
  await expect(screen.thresholds.getByRole('status')).toHaveText('Saved.');

  await page.reload();
  await useEnglish(page);
  screen = await openSettings(page);
  await expect(screen.settings.getByLabel(/^Emergency number/)).toHaveValue('+902125550199');
  await expect(screen.settings.getByLabel(HIGH_PAIN)).toHaveValue('9');
  await expect(screen.highPain.getByRole('cell').nth(0)).toHaveText('9');
  await expect(screen.highPain.getByText('Clinic', { exact: true })).toBeVisible();

  // Restoring the default sends null: the threshold in force is the default again.
  await screen.highPain.getByRole('button', { name: /Use the default/ }).click();
  await screen.thresholds.getByRole('button', { name: 'Save' }).click();
  await expect(screen.thresholds.getByRole('status')).toHaveText('Saved.');
  await expect(screen.highPain.getByRole('cell').nth(0)).toHaveText('8');
  await expect(screen.highPain.getByText('Default', { exact: true })).toBeVisible();
});
