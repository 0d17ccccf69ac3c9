import { ApiError } from '../api/client.ts';
import { useI18n, type Translate } from '../i18n/i18n.tsx';
import { ERROR_TITLE_KEYS } from '../i18n/messages.ts';

/** Title (translated, from the error code) and text (the server's own message) of an error. */
export function describeError(error: unknown, t: Translate): { title: string; message: string } {
  if (error instanceof ApiError) {
    if (error.code === 'E_NETWORK') return { title: t('error.network'), message: t('error.networkDetail') };
    if (error.code === 'E_UNEXPECTED') return { title: t('error.unexpected'), message: error.message };
    return { title: t(ERROR_TITLE_KEYS[error.code]), message: error.message };
  }
  return { title: t('error.unexpected'), message: error instanceof Error ? error.message : String(error) };
}

export function ErrorBanner({ error, onRetry, className }: { error: unknown; onRetry?: () => void; className?: string }) {
  const { t } = useI18n();
  const { title, message } = describeError(error, t);
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <div className={`banner banner-error${className ? ` ${className}` : ''}`} role="alert" data-error-code={code}>
      <div className="banner-body">
        <strong className="banner-title">{title}</strong>
        <span className="banner-message">{message}</span>
      </div>
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  );
}
