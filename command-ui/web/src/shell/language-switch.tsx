import { useI18n } from '../i18n/i18n.tsx';
import { LOCALES } from '../i18n/messages.ts';

/** 中文 | English. Each label is written in its own language so it can be found from either. */
export function LanguageSwitch() {
  const { locale, setLocale, t } = useI18n();
  return (
    <div className="segmented" role="group" aria-label={t('lang.label')} data-testid="language-switch">
      {LOCALES.map((l) => (
        <button key={l} type="button" lang={l} className={l === locale ? 'segment active' : 'segment'} aria-pressed={l === locale} onClick={() => setLocale(l)}>
          {t(`lang.${l}`)}
        </button>
      ))}
    </div>
  );
}
