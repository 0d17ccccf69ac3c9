import { useState, type FormEvent } from 'react';
import { ErrorBanner } from '../components/error-banner.tsx';
import { LanguageSwitch } from '../shell/language-switch.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { useSession } from '../state/session.tsx';

export function LoginScreen({ expired }: { expired: boolean }) {
  const { t } = useI18n();
  const { login } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(username.trim(), password);
    } catch (caught) {
      setError(caught);
      setPassword('');
      setBusy(false);
    }
  };

  return (
    <div className="auth-page">
      <div className="auth-corner">
        <LanguageSwitch />
      </div>
      <form className="auth-card" onSubmit={submit} aria-labelledby="login-title" noValidate data-testid="login-form">
        <Brand />
        <h1 id="login-title" className="auth-title">
          {t('login.title')}
        </h1>
        {expired && !error && <div className="banner banner-info">{t('login.sessionExpired')}</div>}
        {error !== null && <ErrorBanner error={error} />}
        <label className="field">
          <span className="field-label">{t('login.username')}</span>
          <input name="username" autoComplete="username" autoFocus required value={username} onChange={(e) => setUsername(e.target.value)} disabled={busy} />
        </label>
        <label className="field">
          <span className="field-label">{t('login.password')}</span>
          <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} disabled={busy} />
        </label>
        <button type="submit" className="btn btn-primary btn-block" disabled={busy || username.trim() === '' || password === ''}>
          {busy ? t('login.submitting') : t('login.submit')}
        </button>
        <p className="auth-hint">{t('login.hint')}</p>
      </form>
    </div>
  );
}

export function Brand() {
  const { t, locale } = useI18n();
  return (
    <div className="brand">
      <svg className="brand-mark" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
        <circle cx="16" cy="16" r="13" fill="none" stroke="currentColor" strokeWidth="2.5" />
        <circle cx="16" cy="16" r="5" fill="currentColor" />
        <path d="M3 16h5M24 16h5M16 3v5M16 24v5" stroke="currentColor" strokeWidth="2" />
      </svg>
      <div className="brand-text">
        <span className="brand-name">{t('app.name')}</span>
        <span className="brand-sub">{locale === 'zh-CN' ? `ARGUS · ${t('app.subtitle')}` : t('app.subtitle')}</span>
      </div>
    </div>
  );
}
