import { Icon } from '../components/icon.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import type { PlannedScreenId } from '../shell/screens.ts';

/** A screen of a later release: says plainly that it is not here yet and what it will do. */
export function PlaceholderScreen({ screen }: { screen: PlannedScreenId }) {
  const { t } = useI18n();
  return (
    <section className="screen" data-testid={`placeholder-${screen}`}>
      <header className="screen-header">
        <h1 className="screen-title">{t(`placeholder.${screen}.title`)}</h1>
        <span className="badge badge-planned">{t('placeholder.badge')}</span>
      </header>
      <div className="placeholder">
        <div className="placeholder-icon">
          <Icon name={screen} />
        </div>
        <div>
          <p className="placeholder-lead">{t('placeholder.lead')}</p>
          <p className="placeholder-body">{t(`placeholder.${screen}.body`)}</p>
        </div>
      </div>
    </section>
  );
}
