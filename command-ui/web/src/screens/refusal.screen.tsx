import { useI18n } from '../i18n/i18n.tsx';
import { useSignedIn } from '../state/session.tsx';

/** Shown when the address names a screen the user's roles do not permit. */
export function ForbiddenScreen() {
  const { t, locale } = useI18n();
  const { user } = useSignedIn();
  const roles = new Intl.ListFormat(locale, { type: 'conjunction' }).format(user.roles.map((r) => t(`role.${r}`)));
  return (
    <section className="screen" data-testid="forbidden">
      <div className="refusal" role="alert">
        <div className="refusal-code">403</div>
        <h1 className="refusal-title">{t('forbidden.title')}</h1>
        <p>{t('forbidden.body', { roles })}</p>
      </div>
    </section>
  );
}

export function NotFoundScreen({ path }: { path: string }) {
  const { t } = useI18n();
  return (
    <section className="screen" data-testid="not-found">
      <div className="refusal">
        <div className="refusal-code">404</div>
        <h1 className="refusal-title">{t('notFound.title')}</h1>
        <p>{t('notFound.body', { path: `#/${path}` })}</p>
      </div>
    </section>
  );
}
