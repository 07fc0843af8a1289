import { expect, test } from '@playwright/test';
import { THERAPIST, expectAccessible, screenshot, signIn, useEnglish, watchCsp } from './helpers';

test('a wrong password is said in words', async ({ page }) => {
  await signIn(page, { email: THERAPIST.email, password: 'not-the-password' });
  await expect(page.getByRole('alert')).toContainText(/email or password is wrong|E-posta ya da parola hatalı/);
  await expectAccessible(page, 'sign-in');
  await screenshot(page, 'sign-in');
});

test('too many attempts say how long to wait', async ({ page }) => {
  await signIn(page, { email: `nobody-${Date.now()}@demo.example`, password: 'wrong-password' });
  await expect(page.getByRole('alert')).toBeVisible();
  for (let attempt = 1; attempt < 6; attempt += 1) {
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'));
    await page.getByRole('button', { name: /^(Sign in|Giriş yap)$/ }).click();
    await answered;
  }
  await expect(page.getByRole('alert')).toContainText(/(Please wait|Lütfen) \d+ (seconds|saniye)/);
});

test('the therapist finds John, reads the worsening flag, regresses the programme and resolves the flag', async ({ page }) => {
  const blocked = watchCsp(page);
  await signIn(page, THERAPIST);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/Patients|Hastalar/);
  await useEnglish(page);
  await expect(page.getByRole('link', { name: 'John' }).first()).toBeVisible();
  await expect(page.locator('.sparkline-cell canvas').first()).toBeVisible();
  await expectAccessible(page, 'patients');
  await screenshot(page, 'patients');

  await page.getByLabel('Search by name').fill('john');
  const patients = page.locator('tbody tr');
  await expect(patients).toHaveCount(1);
  await patients.getByRole('link').first().click();

  await expect(page.getByRole('heading', { level: 1 })).toContainText('John');
  await expect(page.getByTestId('pain-chart').locator('canvas')).toBeVisible();
  await expect(page.getByTestId('adherence-chart').locator('canvas')).toBeVisible();
  await expect(page.getByText(/^Baseline [\d.]+ \(/)).toBeVisible();
  const flags = page.getByRole('region', { name: 'Flags' });
  const worsening = flags.getByRole('listitem').filter({ hasText: 'Worsening' }).filter({ hasText: 'Open' });
  await expect(worsening).toHaveCount(1);
  await expectAccessible(page, 'patient page');
  await screenshot(page, 'patient-page');

  await worsening.getByRole('link', { name: 'Worsening' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Worsening');
  const evidence = page.getByRole('region', { name: /Evidence/ });
  await expect(evidence.locator('tbody tr').first()).toBeVisible();
  await expect(evidence.locator('tbody tr').first().locator('code')).not.toBeEmpty();
  await expect(page.getByRole('region', { name: 'Suggested action' })).not.toBeEmpty();
  await expectAccessible(page, 'flag page');
  await screenshot(page, 'flag-page');

  await page.getByRole('link', { name: 'John' }).click();
  const programme = page.getByRole('region', { name: 'Programme in force' });
  // Every item of John's programme is on its ladder's first level: regressing them all is
  // refused by the API, in words.
  await programme.getByRole('radio', { name: /Regress/ }).check();
  await programme.getByLabel('Reason').fill('Pain above baseline + 2 for a week');
  await programme.getByRole('button', { name: 'Regress the programme' }).click();
  await expect(programme.getByRole('alert')).toContainText('the bottom of its ladder');
  // So: the deep neck flexor item goes up a level, then comes back down with the reason.
  const ccf = programme.getByLabel(/Cranio-cervical flexion/);
  await programme.getByRole('radio', { name: /Progress/ }).check();
  await ccf.check();
  await programme.getByLabel('Reason').fill('Holding level 1 without pain');
  await programme.getByRole('button', { name: 'Progress the programme' }).click();
  await expect(programme.getByRole('status')).toContainText('Saved as revision 2');
  await expect(programme.getByText(/Cranio-cervical flexion.*level 2 of 5/)).toBeVisible();
  await programme.getByRole('radio', { name: /Regress/ }).check();
  await ccf.check();
  await programme.getByLabel('Reason').fill('Pain above baseline + 2 for a week');
  await programme.getByRole('button', { name: 'Regress the programme' }).click();
  await expect(programme.getByRole('status')).toContainText('Saved as revision 3');
  await expect(programme.getByText(/Cranio-cervical flexion.*level 1 of 5/)).toBeVisible();
  await expect(programme.getByRole('listitem').filter({ hasText: '#3 Regressed' })).toContainText('Pain above baseline + 2 for a week');
  await screenshot(page, 'patient-page-after-regress');

  await page.getByRole('link', { name: 'Worsening' }).first().click();
  await page.getByLabel('Action taken').selectOption('regressed');
  await page.getByLabel('Note').fill('Regressed one level; call in a week.');
  await page.getByRole('button', { name: 'Resolve the flag' }).click();
  await expect(page.locator('.badge.status-resolved').first()).toHaveText('Resolved');
  await expect(page.getByRole('region', { name: 'Outcome' })).toContainText('Regressed the programme');

  await page.getByRole('navigation').getByRole('link', { name: 'Flag queue' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Flag queue');
  const rows = page.locator('tbody tr');
  await expect(rows.filter({ hasText: 'Worsening' })).toHaveCount(0);
  await page.getByLabel('Resolved', { exact: true }).check();
  await expect(rows.filter({ hasText: 'Worsening' })).toContainText('Resolved');
  await page.getByLabel('Open', { exact: true }).uncheck();
  await page.getByLabel('Acknowledged', { exact: true }).uncheck();
  await expect(rows).toHaveCount(1);
  await expectAccessible(page, 'flag queue');
  await screenshot(page, 'flag-queue');
  expect(blocked, 'nothing the console does is blocked by its CSP').toEqual([]);
});

test('a new patient gets an invitation code that activates through the API', async ({ page, request }) => {
  await signIn(page, THERAPIST);
  await useEnglish(page);
  const form = page.getByRole('region', { name: 'New patient' });
  await form.getByLabel('Full name').fill('Deniz Kaya');
  await form.getByLabel('Email').fill(`deniz-${Date.now()}@example.org`);
  await form.getByRole('button', { name: 'Create patient' }).click();
  await expect(form.getByText('Deniz Kaya was created.')).toBeVisible();
  await form.getByRole('button', { name: 'Issue an invitation code' }).click();
  const code = (await form.getByTestId('invitation-code').textContent())!.trim();
  expect(code).toMatch(/^[A-Z0-9]{10}$/);
  await expect(form.getByRole('img', { name: /QR code/ })).toBeVisible();
  await expect(form.getByText(/Valid until/)).toBeVisible();
  await screenshot(page, 'invitation');

  const activated = await request.post('/api/v1/auth/activate', { data: { invite_code: code, password: 'a-long-enough-passphrase' } });
  expect(activated.status()).toBe(201);
  expect((await activated.json()).user.role).toBe('patient');
});

test('the programme builder starts from a template', async ({ page }) => {
  await signIn(page, THERAPIST);
  await useEnglish(page);
  const form = page.getByRole('region', { name: 'New patient' });
  await form.getByLabel('Full name').fill('Ece Demir');
  await form.getByLabel('Email').fill(`ece-${Date.now()}@example.org`);
  await form.getByRole('button', { name: 'Create patient' }).click();
  await form.getByRole('link', { name: 'Open their page' }).click();
  await page.getByRole('link', { name: 'Build a programme' }).click();
  await page.getByLabel('Start from').selectOption('cervicogenic-headache-basic');
  await expect(page.getByRole('checkbox', { checked: true }).first()).toBeVisible();
  await page.getByLabel('Baseline pain (0–10, optional)').fill('4');
  await expectAccessible(page, 'programme builder');
  await screenshot(page, 'programme-builder');
  // After a full-page screenshot the pointer lands off target; the keyboard submits as a person would.
  await page.getByRole('button', { name: 'Create the programme' }).press('Enter');
  const programme = page.getByRole('region', { name: 'Programme in force' });
  await expect(programme.getByText(/Revision 1, started/)).toBeVisible();
  await expect(programme.getByText(/baseline pain 4/)).toBeVisible();
});
