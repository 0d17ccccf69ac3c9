import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS, AUDIT_SUBJECTS, auditActionFilterSchema, isAuditAction } from '../../contracts/audit.ts';
import { en } from '../../command-ui/web/src/i18n/en.ts';
import { zhCN } from '../../command-ui/web/src/i18n/zh-CN.ts';

describe('the audit action list', () => {
  it('names every action subject.verb, once', () => {
    expect(new Set(AUDIT_ACTIONS).size).toBe(AUDIT_ACTIONS.length);
    for (const a of AUDIT_ACTIONS) expect(a).toMatch(/^[a-z_]+\.[a-z_]+$/);
    expect(AUDIT_SUBJECTS).toEqual([...new Set(AUDIT_ACTIONS.map((a) => a.split('.')[0]))]);
    expect(isAuditAction('live.close')).toBe(true);
    expect(isAuditAction('acknowledge')).toBe(false);
  });

  it('covers what the issue asks to audit, and reserves the export and retention actions', () => {
    for (const a of ['auth.login', 'auth.login_failed', 'auth.logout', 'live.open', 'live.close', 'recording.play', 'sightings.search', 'faces.search', 'export.create', 'export.download', 'retention.run', 'audit.export', 'user.role_change', 'alert.acknowledge', 'incident.create', 'dispatch.create', 'plan.create', 'unit.create', 'watchlist.create', 'watchlist_entry.create']) {
      expect(AUDIT_ACTIONS).toContain(a);
    }
  });

  it('has a label for every action and subject in both languages', () => {
    const dictionaries: Record<string, Readonly<Record<string, string>>> = { en, 'zh-CN': zhCN };
    for (const [locale, d] of Object.entries(dictionaries)) {
      for (const a of AUDIT_ACTIONS) expect(d[`audit.action.${a}`], `${locale} audit.action.${a}`).toBeTruthy();
      for (const s of AUDIT_SUBJECTS) expect(d[`audit.subject.${s}`], `${locale} audit.subject.${s}`).toBeTruthy();
    }
  });

  it('accepts an action or a subject prefix as a filter, nothing else', () => {
    for (const ok of ['live.open', 'live.', 'live', 'watchlist_entry.']) expect(auditActionFilterSchema.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['', 'live.open.x', "x'; drop table audit_log", '%', 'LIVE.OPEN']) expect(auditActionFilterSchema.safeParse(bad).success, bad).toBe(false);
  });
});
