import { useState, type FormEvent } from 'react';
import { ErrorState } from '../../../components/ui/states';
import { useI18n } from '../../../i18n';
import { signIn } from '../api/session';

/** Email and password; the API's refusal is shown in words (wrong password, wait N seconds). */
export function SignInForm({ email: knownEmail }: { email?: string }) {
  const { t } = useI18n();
  const [email, setEmail] = useState(knownEmail ?? '');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email.trim(), password);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="sign-in" onSubmit={submit} aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">{t('signIn.title')}</h1>
      <div className="field">
        <label htmlFor="sign-in-email">{t('signIn.email')}</label>
        <input id="sign-in-email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="sign-in-password">{t('signIn.password')}</label>
        <input id="sign-in-password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
      </div>
      {error ? <ErrorState error={error} context="login" /> : null}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? t('state.working') : t('signIn.submit')}
      </button>
    </form>
  );
}
