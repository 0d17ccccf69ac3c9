import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.ts';
import { ConfigError } from '../../contracts/errors.ts';

/** The `retention` section: its defaults, its limits, and the keys that moved into it. */
function issuesOf(overrides: Record<string, unknown>): Array<{ path: string; message: string }> {
  try {
    loadConfig({ env: {}, overrides, cwd: '/x' });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues as Array<{ path: string; message: string }>;
  }
  return [];
}

describe('retention configuration', () => {
  it('has a period per data class by default', () => {
    expect(loadConfig({ env: {}, cwd: '/x' }).retention).toEqual({
      recordings: 3,
      sightings: 90,
      faceCrops: 30,
      alerts: 365,
      incidents: 730,
      positions: 30,
      audit: 365,
      batchSize: 1000,
    });
  });

  it('keeps the audit log at least 180 days and takes fractions of a day for recordings only', () => {
    expect(issuesOf({ retention: { audit: 179 } }).map((i) => i.path)).toEqual(['retention.audit']);
    expect(issuesOf({ retention: { audit: 180, recordings: 0.5 } })).toEqual([]);
    expect(issuesOf({ retention: { sightings: 0.5 } }).map((i) => i.path)).toEqual(['retention.sightings']);
    expect(issuesOf({ retention: { photos: 3 } }).map((i) => i.path)).toEqual(['retention']);
  });

  it('refuses the keys that moved into it, naming where they went', () => {
    const issues = issuesOf({
      analytics: { sightingRetentionDays: 30 },
      dispatch: { positionHistoryDays: 7 },
      ingest: { recording: { maxAgeHours: 48 } },
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'analytics.sightingRetentionDays', message: 'this setting moved: set retention.sightings instead' },
        { path: 'dispatch.positionHistoryDays', message: 'this setting moved: set retention.positions instead' },
        { path: 'ingest.recording.maxAgeHours', message: 'this setting moved: set retention.recordings (in days) instead' },
      ]),
    );
    expect(issues).toHaveLength(3);
  });
});
