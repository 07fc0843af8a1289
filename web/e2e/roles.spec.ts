import { expect, test } from '@playwright/test';
import { ADMIN, JOHN, THERAPIST, expectAccessible, screenshot, signIn, useEnglish } from './helpers';

test("a patient's sign-in cannot open the staff screens", async ({ page, request }) => {
  await signIn(page, JOHN);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/for clinic staff|klinik personeli/);
  await expect(page.getByRole('navigation')).toHaveCount(0);
  await page.goto('/console/patients');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/for clinic staff|klinik personeli/);
  await expect(page.getByRole('link', { name: 'John' })).toHaveCount(0);

  const login = await request.post('/api/v1/auth/login', { data: JOHN });
  const token = (await login.json()).access_token;
  const staffList = await request.get('/api/v1/patients', { headers: { Authorization: `Bearer ${token}` } });
  expect(staffList.status()).toBe(403);
});

test('a reload keeps the session through the refresh cookie, and sign-out ends it', async ({ page, context }) => {
  await signIn(page, THERAPIST);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/Patients|Hastalar/);
  const cookies = await context.cookies();
  const refresh = cookies.filter((c) => c.name === 'hep_refresh');
  expect(refresh.map((c) => c.path).sort()).toEqual(['/api/v1/auth/logout', '/api/v1/auth/refresh']);
  expect(refresh.every((c) => c.httpOnly && c.sameSite === 'Strict')).toBe(true);
  // eslint-disable-next-line no-restricted-globals -- asserting that nothing was stored
  expect(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie])).toEqual([0, 0, '']);

  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/Patients|Hastalar/);
  await page.getByRole('button', { name: /Sign out|Çıkış yap/ }).click();
  await expect(page.getByRole('button', { name: /^(Sign in|Giriş yap)$/ })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('button', { name: /^(Sign in|Giriş yap)$/ })).toBeVisible();
});

test("a clinic admin changes a therapist's role", async ({ page }) => {
  await signIn(page, ADMIN);
  await useEnglish(page);
  await page.getByRole('link', { name: 'Clinic' }).click();
  const staff = page.getByRole('region', { name: 'Therapists and admins' });
  const email = `selin-${Date.now()}@demo.example`;
  await staff.getByLabel('Full name').fill('Selin Aydın');
  await staff.getByLabel('Email').fill(email);
  await staff.getByLabel(/Initial password/).fill('a-long-enough-passphrase');
  await staff.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(staff.getByRole('status')).toHaveText('Added.');
  const row = staff.locator('tbody tr').filter({ hasText: email });
  const role = row.getByLabel(/Role of/);
  await expect(role).toHaveValue('therapist');
  await role.selectOption('clinic_admin');
  await expect(staff.getByText('Saved.')).toBeVisible();
  await page.reload();
  await useEnglish(page);
  await expect(page.getByRole('region', { name: 'Therapists and admins' }).locator('tbody tr').filter({ hasText: email }).getByLabel(/Role of/)).toHaveValue('clinic_admin');
  const audit = page.getByRole('region', { name: 'Audit log' });
  await expect(audit.getByText('staff.role_change').first()).toBeVisible();
  await expectAccessible(page, 'clinic');
  await screenshot(page, 'clinic');
});
