import type { CameraStatus } from '../../../../contracts/api.ts';
import { useI18n } from '../i18n/i18n.tsx';

export function StatusDot({ status, withLabel = true, title }: { status: CameraStatus; withLabel?: boolean; title?: string | null }) {
  const { t } = useI18n();
  const label = t(`status.${status}`);
  return (
    <span className={`status status-${status}`} title={title ?? label} data-status={status}>
      <span className="dot" aria-hidden="true" />
      {withLabel ? <span className="status-label">{label}</span> : <span className="visually-hidden">{label}</span>}
    </span>
  );
}
