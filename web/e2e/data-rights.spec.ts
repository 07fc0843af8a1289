import { readFileSync } from 'node:fs';
import { expect, test, type APIRequestContext } from '@playwright/test';
import { ADMIN, THERAPIST, expectAccessible, screenshot, signIn, useEnglish } from './helpers';

async function bearer(request: APIRequestContext, who: { email: string; password: string }) {
  const login = await request.post('/api/v1/auth/login', { data: who });
  return { Authorization: `Bearer ${(await login.json()).access_token}` };
}

test("the therapist downloads John's progress report and his FHIR export", async ({ page }) => {
  await signIn(page, THERAPIST);
  await useEnglish(page);
  await page.getByRole('link', { name: 'John Demo' }).click();
  const documents = page.getByRole('region', { name: 'Report and data' });
  await expect(documents).toBeVisible();
  await expect(documents.getByRole('button', { name: 'Erase the patient' })).toHaveCount(0);

  const [report] = await Promise.all([page.waitForEvent('download'), documents.getByRole('button', { name: 'Download the report' }).click()]);
  expect(report.suggestedFilename()).toMatch(/\.pdf$/);
  expect(readFileSync((await report.path())!).subarray(0, 5).toString()).toBe('%PDF-');

  const [fhir] = await Promise.all([page.waitForEvent('download'), documents.getByRole('button', { name: 'Download FHIR R4' }).click()]);
  const bundle = JSON.parse(readFileSync((await fhir.path())!, 'utf-8'));
  expect([bundle.resourceType, bundle.type]).toEqual(['Bundle', 'collection']);
  expect(bundle.entry.some((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'Patient')).toBe(true);
  await expectAccessible(page, 'patient page with report and data');
});

test('a patient asks to be erased; the clinic admin sees the request and erases them with a reason', async ({ page, request }) => {
  const staff = await bearer(request, ADMIN);
  const created = await request.post('/api/v1/patients', {
    headers: staff,
    data: { name: 'Elif Erasable', email: `elif-${Date.now()}@example.org`, timezone: 'Europe/Istanbul', language: 'en' },
  });
  expect(created.status()).toBe(201);
  const patientId = (await created.json()).id;
  const invitation = await (await request.post(`/api/v1/patients/${patientId}/invitations`, { headers: staff })).json();
  const activated = await request.post('/api/v1/auth/activate', { data: { invite_code: invitation.code, password: 'a-long-enough-passphrase' } });
  expect(activated.status()).toBe(201);
  const patient = { Authorization: `Bearer ${(await activated.json()).access_token}` };
  const asked = await request.post('/api/v1/me/erasure-request', { headers: patient, data: { reason: 'I moved away' } });
  expect(asked.status()).toBe(201);

  await signIn(page, ADMIN);
  await useEnglish(page);
  await page.getByRole('link', { name: 'Clinic' }).click();
  const queue = page.getByRole('region', { name: 'Erasure requests' });
  await expect(queue.getByRole('link', { name: 'Elif Erasable' })).toBeVisible();
  await expect(queue.getByText('“I moved away”')).toBeVisible();
  await expectAccessible(page, 'clinic page with erasure requests');
  await queue.getByRole('link', { name: 'Elif Erasable' }).click();

  const documents = page.getByRole('region', { name: 'Report and data' });
  const erase = documents.getByRole('button', { name: 'Erase the patient' });
  await documents.getByLabel(/^Reason/).fill('The patient asked to be erased.');
  await expect(erase).toBeDisabled();
  await documents.getByLabel('I understand that Elif Erasable is erased for good.').check();
  await screenshot(page, 'erase-patient');
  await erase.click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Patients');
  await expect(page.getByRole('link', { name: 'Elif Erasable' })).toHaveCount(0);

  expect((await request.get(`/api/v1/patients/${patientId}`, { headers: staff })).status()).toBe(404);
  expect((await request.get('/api/v1/me', { headers: patient })).status()).toBe(401);
  await page.getByRole('link', { name: 'Clinic' }).click();
  await expect(page.getByRole('region', { name: 'Erasure requests' }).getByText('No patient has asked to be erased.')).toBeVisible();
});
