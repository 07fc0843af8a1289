import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

export const THERAPIST = { email: 'therapist@demo.example', password: 'demo-therapist' };
export const ADMIN = { email: 'admin@demo.example', password: 'demo-admin' };
export const JOHN = { email: 'john@demo.example', password: 'demo-patient' };

export async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto('/console/');
  await page.getByLabel(/^(Email|E-posta)$/).fill(who.email);
  await page.getByLabel(/^(Password|Parola)$/).fill(who.password);
  await page.getByRole('button', { name: /^(Sign in|Giriş yap)$/ }).click();
}

/** Switch the console to English so the specs read one language. */
export async function useEnglish(page: Page) {
  await page.getByRole('combobox', { name: /Language|Dil/ }).first().selectOption('en');
}

/** Zero serious or critical axe violations on the screen as it is now. */
export async function expectAccessible(page: Page, screen: string) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const grave = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const summary = grave.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  console.log(`axe ${screen}: ${results.violations.length} violations, ${grave.length} serious/critical`);
  expect(summary, `axe on ${screen}`).toEqual([]);
}

export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: `e2e-artifacts/${name}.png`, fullPage: true });
}

/** Collect what the browser reports as blocked by the Content-Security-Policy. */
export function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}
