import { onlineManager } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import { NavLink, Outlet } from 'react-router';
import { signOut } from '../features/auth/api/session';
import { useI18n } from '../i18n';
import type { SessionUser } from '../lib/auth';
import { useClinicTimeZone } from './clinic-time-zone';
import { useStaffProfile } from './staff-profile';

export function Layout({ user }: { user: SessionUser }) {
  const { t, language, setLanguage } = useI18n();
  const profile = useStaffProfile(user.id);
  useClinicTimeZone();
  const isAdmin = user.role === 'clinic_admin';
  const online = useSyncExternalStore(onlineManager.subscribe.bind(onlineManager), () => onlineManager.isOnline());
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        {t('nav.skip')}
      </a>
      <header className="topbar">
        <span className="brand">{t('app.name')}</span>
        <nav aria-label={t('nav.label')}>
          <ul>
            <li><NavLink to="/patients">{t('nav.patients')}</NavLink></li>
            <li><NavLink to="/flags">{t('nav.flags')}</NavLink></li>
            {isAdmin && <li><NavLink to="/clinic">{t('nav.clinic')}</NavLink></li>}
          </ul>
        </nav>
        <div className="topbar-end">
          {profile && <span className="who">{profile.name}</span>}
          <label className="language">
            <span className="visually-hidden">{t('nav.language')}</span>
            <select value={language} onChange={(e) => setLanguage(e.target.value as 'tr' | 'en')}>
              <option value="tr">Türkçe</option>
              <option value="en">English</option>
            </select>
          </label>
          <button type="button" onClick={() => signOut()}>
            {t('nav.signOut')}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <div role="status" className={online ? 'visually-hidden' : 'offline-banner'}>{online ? '' : t('state.offline')}</div>
        <Outlet />
      </main>
    </div>
  );
}
