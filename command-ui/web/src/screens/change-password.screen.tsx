import { useState, type FormEvent } from 'react';
import { issuesFor } from '../api/client.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { LanguageSwitch } from '../shell/language-switch.tsx';
import { useSession } from '../state/session.tsx';
import { Brand } from './login.screen.tsx';

const MIN_PASSWORD_LENGTH = 10;

/** Shown instead of the application while the user must change their password. */
export function ChangePasswordScreen() {
  const { t } = useI18n();
  const { api, refresh, logout } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [localError, setLocalError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if (next.length < MIN_PASSWORD_LENGTH) return setLocalError(t('password.tooShort'));
    if (next !== repeat) return setLocalError(t('password.mismatch'));
    setLocalError(null);
    setBusy(true);
    try {
      await api.changePassword({ currentPassword: current, newPassword: next });
      await refresh();
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  const issueFor = (field: string) => issuesFor(error, field);

  return (
    <div className="auth-page">
      <div className="auth-corner">
        <LanguageSwitch />
      </div>
      <form className="auth-card" onSubmit={submit} noValidate aria-labelledby="password-title" data-testid="change-password-form">
        <Brand />
        <h1 id="password-title" className="auth-title">
          {t('password.title')}
        </h1>
        <div className="banner banner-warning">{t('password.explanation')}</div>
        {error !== null && <ErrorBanner error={error} />}
        {localError && (
          <div className="banner banner-error" role="alert">
            {localError}
          </div>
        )}
        <label className="field">
          <span className="field-label">{t('password.current')}</span>
          <input name="currentPassword" type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} disabled={busy} autoFocus />
          {issueFor('currentPassword') && <span className="field-error">{issueFor('currentPassword')}</span>}
        </label>
        <label className="field">
          <span className="field-label">{t('password.new')}</span>
          <input name="newPassword" type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} disabled={busy} />
          {issueFor('newPassword') && <span className="field-error">{issueFor('newPassword')}</span>}
          <span className="field-hint">{t('password.rule')}</span>
        </label>
        <label className="field">
          <span className="field-label">{t('password.confirm')}</span>
          <input name="repeatPassword" type="password" autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} disabled={busy} />
        </label>
        <button type="submit" className="btn btn-primary btn-block" disabled={busy || !current || !next || !repeat}>
          {busy ? t('common.saving') : t('password.submit')}
        </button>
        <button type="button" className="btn btn-ghost btn-block" onClick={() => void logout()} disabled={busy}>
          {t('header.logout')}
        </button>
      </form>
    </div>
  );
}
