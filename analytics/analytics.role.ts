import type { Logger } from '../config/logger.ts';

/**
 * The analytics role. Recognition pipelines (plates, faces, objects) are not built yet; the role
 * starts, says so and analyses nothing.
 */
export interface AnalyticsRole {
  close(): Promise<void>;
}

export function startAnalyticsRole(log: Logger): AnalyticsRole {
  log.warn({ role: 'analytics' }, 'analytics role started: recognition pipelines are not implemented in this version');
  return { close: async () => undefined };
}
