import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { UNIT_KINDS, type CreatePlanRequest, type EmergencyPlan, type UnitKind } from '../../../../contracts/incidents.ts';
import { ROLES, type Role } from '../../../../contracts/roles.ts';
import { ApiError, issueField } from '../api/client.ts';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { ErrorBanner } from '../components/error-banner.tsx';
import { Field } from '../components/field.tsx';
import { Flash, useFlash } from '../components/flash.tsx';
import { Icon } from '../components/icon.tsx';
import { useFieldErrors } from '../components/use-field-errors.ts';
import { useIncidentTypes } from '../dispatch/use-incident-types.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { useSignedIn } from '../state/session.tsx';
import '../styles/plans.css';

/**
 * Emergency plans (预案) administration: the plans by incident type, and an editor for one plan:
 * its ordered checklist (add, remove, move, edit), the roles to notify, the resources (unit kind
 * and count), the number of nearest cameras to open and whether it is the type's active plan.
 * The server's validation messages are shown at their fields, its refusals (a second active plan
 * for a type) above the form. Switching away from a plan with unsaved changes asks first.
 */

interface StepDraft {
  key: number;
  text: string;
}
interface ResourceDraft {
  key: number;
  kind: UnitKind;
  count: string;
}
interface PlanDraft {
  incidentType: string;
  name: string;
  steps: StepDraft[];
  notify: Role[];
  resources: ResourceDraft[];
  cameraCount: string;
  active: boolean;
}

/** What is being edited: a stored plan (by id) or a new one. */
type Selection = { kind: 'plan'; id: string } | { kind: 'new' } | null;

let lastKey = 0;
const newKey = () => ++lastKey;

function draftOf(plan: EmergencyPlan | undefined, defaultType: string): PlanDraft {
  if (!plan) return { incidentType: defaultType, name: '', steps: [{ key: newKey(), text: '' }], notify: [], resources: [], cameraCount: '4', active: true };
  return {
    incidentType: plan.incidentType,
    name: plan.name,
    steps: plan.steps.map((text) => ({ key: newKey(), text })),
    notify: [...plan.notify],
    resources: plan.resources.map((r) => ({ key: newKey(), kind: r.kind, count: String(r.count) })),
    cameraCount: String(plan.cameraCount),
    active: plan.active,
  };
}

/** A number field as typed: empty or not a number goes to the server as null, which names the field. */
const numberOf = (value: string): number => (value.trim() === '' ? Number.NaN : Number(value));

function requestOf(d: PlanDraft): CreatePlanRequest {
  return {
    incidentType: d.incidentType,
    name: d.name,
    steps: d.steps.map((s) => s.text),
    notify: ROLES.filter((r) => d.notify.includes(r)),
    resources: d.resources.map((r) => ({ kind: r.kind, count: numberOf(r.count) })),
    cameraCount: numberOf(d.cameraCount),
    active: d.active,
  };
}

/** Comparable form of a draft (NaN and trimmed text as the server would see them). */
const fingerprint = (d: PlanDraft) => JSON.stringify({ ...requestOf(d), name: d.name.trim(), steps: d.steps.map((s) => s.text.trim()) });

export function PlansScreen() {
  const { t } = useI18n();
  const { api } = useSignedIn();
  const { types, typeName } = useIncidentTypes();
  const [plans, setPlans] = useState<EmergencyPlan[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [selection, setSelection] = useState<Selection>(null);
  const [dirty, setDirty] = useState(false);
  /** A switch waiting for "discard changes?" to be answered. */
  const [pending, setPending] = useState<Selection | undefined>(undefined);
  const [flash, showFlash] = useFlash();

  const load = useCallback(() => {
    setError(null);
    api.listPlans().then(
      (reply) => setPlans(reply.items),
      (caught: unknown) => setError(caught),
    );
  }, [api]);
  useEffect(load, [load]);

  // Leaving the page with unsaved changes asks the browser's question.
  useEffect(() => {
    if (!dirty) return;
    const onBeforeUnload = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [dirty]);

  const select = (next: Selection) => {
    if (sameSelection(next, selection)) return;
    if (dirty) setPending(next);
    else setSelection(next);
  };

  const selectedPlan = selection?.kind === 'plan' ? plans?.find((p) => p.id === selection.id) : undefined;

  const onSaved = (plan: EmergencyPlan, created: boolean) => {
    setPlans((list) => (list ?? []).some((p) => p.id === plan.id) ? (list ?? []).map((p) => (p.id === plan.id ? plan : p)) : [...(list ?? []), plan]);
    setDirty(false);
    setSelection({ kind: 'plan', id: plan.id });
    showFlash(t(created ? 'plans.created' : 'plans.saved', { name: plan.name }));
  };

  const onDeleted = (plan: EmergencyPlan) => {
    setPlans((list) => (list ?? []).filter((p) => p.id !== plan.id));
    setDirty(false);
    setSelection(null);
    showFlash(t('plans.deleted', { name: plan.name }));
  };

  return (
    <section className="screen screen-split plans-screen" data-testid="plans-screen">
      <div className="screen-main">
        <header className="screen-header">
          <h1 className="screen-title">{t('plans.title')}</h1>
          <span className="screen-count">{t('common.total', { count: plans?.length ?? 0 })}</span>
          <div className="screen-tools">
            <button type="button" className="btn btn-primary" onClick={() => select({ kind: 'new' })} data-testid="plan-new">
              <Icon name="plus" />
              <span>{t('plans.new')}</span>
            </button>
          </div>
        </header>
        <Flash message={flash} />
        {error !== null && <ErrorBanner error={error} onRetry={load} />}
        <div className="table-wrap">
          <table className="table" data-testid="plans-table">
            <thead>
              <tr>
                <th>{t('plans.col.type')}</th>
                <th>{t('plans.col.name')}</th>
                <th className="col-small">{t('plans.col.steps')}</th>
                <th className="col-small">{t('plans.col.state')}</th>
              </tr>
            </thead>
            <tbody>
              {(plans ?? []).map((p) => (
                <tr
                  key={p.id}
                  className={`plans-row${selection?.kind === 'plan' && selection.id === p.id ? ' selected' : ''}${p.active ? '' : ' row-dim'}`}
                  data-testid="plan-row"
                  data-plan-id={p.id}
                  data-type={p.incidentType}
                  data-active={p.active}
                  onClick={() => select({ kind: 'plan', id: p.id })}
                >
                  <td data-testid="plan-row-type">{typeName(p.incidentType)}</td>
                  <td>
                    {/* The row's click handler opens it; the button makes it reachable from the keyboard. */}
                    <button type="button" className="plans-row-open" data-testid="plan-row-name">
                      {p.name}
                    </button>
                  </td>
                  <td className="mono" data-testid="plan-row-steps">
                    {p.steps.length}
                  </td>
                  <td data-testid="plan-row-state">
                    <span className={p.active ? 'bool bool-yes' : 'bool bool-no'}>{p.active ? t('plans.active') : t('plans.inactive')}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {plans === null && error === null && <div className="table-empty">{t('common.loading')}</div>}
          {plans !== null && plans.length === 0 && <div className="table-empty">{t('plans.empty')}</div>}
        </div>
      </div>

      {selection === null || (selection.kind === 'plan' && !selectedPlan) ? (
        <aside className="side-panel plans-editor">
          <p className="side-panel-message">{t('plans.choose')}</p>
        </aside>
      ) : (
        <PlanForm
          // A fresh form (and draft) per plan; a new plan's form starts once the types are known.
          key={selection.kind === 'plan' ? selection.id : `new-${types.length > 0}`}
          plan={selectedPlan}
          types={types.map((x) => ({ code: x.code, name: typeName(x.code) }))}
          onDirty={setDirty}
          onSaved={onSaved}
          onDeleted={onDeleted}
          onCancel={() => select(null)}
        />
      )}

      {pending !== undefined && (
        <ConfirmDialog
          title={t('plans.discardTitle')}
          confirmLabel={t('plans.discard')}
          cancelLabel={t('common.cancel')}
          danger
          onCancel={() => setPending(undefined)}
          onConfirm={() => {
            setDirty(false);
            setSelection(pending);
            setPending(undefined);
          }}
        >
          {t('plans.discardBody')}
        </ConfirmDialog>
      )}
    </section>
  );
}

function sameSelection(a: Selection, b: Selection): boolean {
  if (a === null || b === null) return a === b;
  if (a.kind === 'new' || b.kind === 'new') return a.kind === b.kind;
  return a.id === b.id;
}

/** Messages of the issues for exactly this field (not its sub-fields). */
function ownIssues(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const messages = error.issues.filter((i) => issueField(i) === field).map((i) => i.message);
  return messages.length > 0 ? messages.join('; ') : undefined;
}

function PlanForm(props: {
  plan: EmergencyPlan | undefined;
  types: ReadonlyArray<{ code: string; name: string }>;
  onDirty(dirty: boolean): void;
  onSaved(plan: EmergencyPlan, created: boolean): void;
  onDeleted(plan: EmergencyPlan): void;
  onCancel(): void;
}) {
  const { plan, types, onDirty } = props;
  const { t } = useI18n();
  const { api } = useSignedIn();
  /** What was loaded or last saved: the draft is dirty when it differs. */
  const [initial, setInitial] = useState(() => draftOf(plan, types[0]?.code ?? ''));
  const [draft, setDraft] = useState<PlanDraft>(initial);
  const baseline = useMemo(() => fingerprint(initial), [initial]);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const fieldErrors = useFieldErrors(error);

  const dirty = fingerprint(draft) !== baseline;
  useEffect(() => onDirty(dirty), [dirty, onDirty]);

  const set = <K extends keyof PlanDraft>(field: string, key: K, value: PlanDraft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    fieldErrors.edited(field);
  };
  /** After a step or resource is added, removed or moved, every message about that list is stale. */
  const reshaped = (field: 'steps' | 'resources', length: number) => {
    fieldErrors.edited(field);
    for (let i = 0; i <= length; i++) {
      fieldErrors.edited(`${field}.${i}`);
      fieldErrors.edited(`${field}.${i}.kind`);
      fieldErrors.edited(`${field}.${i}.count`);
    }
  };

  const setStep = (index: number, text: string) => {
    setDraft((d) => ({ ...d, steps: d.steps.map((s, i) => (i === index ? { ...s, text } : s)) }));
    fieldErrors.edited(`steps.${index}`);
  };
  const moveStep = (index: number, by: -1 | 1) => {
    setDraft((d) => {
      const steps = [...d.steps];
      const [moved] = steps.splice(index, 1);
      steps.splice(index + by, 0, moved!);
      return { ...d, steps };
    });
    reshaped('steps', draft.steps.length);
  };
  const removeStep = (index: number) => {
    setDraft((d) => ({ ...d, steps: d.steps.filter((_, i) => i !== index) }));
    reshaped('steps', draft.steps.length);
  };
  const addStep = () => {
    setDraft((d) => ({ ...d, steps: [...d.steps, { key: newKey(), text: '' }] }));
    reshaped('steps', draft.steps.length);
    // Focus the new step once it is drawn.
    window.requestAnimationFrame(() => document.querySelector<HTMLInputElement>(`[data-testid=plan-form] input[name="steps.${draft.steps.length}"]`)?.focus());
  };

  const setResource = (index: number, patch: Partial<ResourceDraft>, field: 'kind' | 'count') => {
    setDraft((d) => ({ ...d, resources: d.resources.map((r, i) => (i === index ? { ...r, ...patch } : r)) }));
    fieldErrors.edited(`resources.${index}.${field}`);
    fieldErrors.edited(`resources.${index}`);
  };
  const addResource = () => {
    setDraft((d) => ({ ...d, resources: [...d.resources, { key: newKey(), kind: 'patrol_car', count: '1' }] }));
    reshaped('resources', draft.resources.length);
  };
  const removeResource = (index: number) => {
    setDraft((d) => ({ ...d, resources: d.resources.filter((_, i) => i !== index) }));
    reshaped('resources', draft.resources.length);
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    fieldErrors.reset();
    try {
      const request = requestOf(draft);
      // The type of a stored plan is fixed (the server takes no incidentType in a change).
      const patch = { name: request.name, steps: request.steps, notify: request.notify, resources: request.resources, cameraCount: request.cameraCount, active: request.active };
      const saved = plan ? await api.updatePlan(plan.id, patch) : await api.createPlan(request);
      // The form goes on with what the server stored (trimmed text) as its new starting point.
      const stored = draftOf(saved, saved.incidentType);
      setInitial(stored);
      setDraft(stored);
      props.onSaved(saved, !plan);
    } catch (caught) {
      setError(caught);
    } finally {
      setSaving(false);
    }
  };

  const onDelete = async () => {
    if (!plan) return;
    setDeleting(true);
    try {
      await api.deletePlan(plan.id);
      props.onDeleted(plan);
    } catch (caught) {
      setConfirmDelete(false);
      setDeleting(false);
      setError(caught);
    }
  };

  const issueFor = fieldErrors.errorFor;
  // The list's own messages (too few steps, too many resources), gone once the list is edited.
  const stepsError = issueFor('steps') !== undefined ? ownIssues(error, 'steps') : undefined;
  const resourcesError = issueFor('resources') !== undefined ? ownIssues(error, 'resources') : undefined;
  const busy = saving || deleting;

  return (
    <form className="side-panel plans-editor" onSubmit={(e) => void onSubmit(e)} noValidate aria-labelledby="plan-form-title" data-testid="plan-form" data-plan-id={plan?.id ?? ''} data-dirty={dirty}>
      <div className="side-panel-head">
        <h2 id="plan-form-title" className="side-panel-title">
          {plan ? t('plans.editTitle', { name: plan.name }) : t('plans.newTitle')}
        </h2>
        {dirty && (
          <span className="tag tag-warn" data-testid="plan-unsaved">
            {t('plans.unsaved')}
          </span>
        )}
        <button type="button" className="icon-btn" onClick={props.onCancel} aria-label={t('common.close')} title={t('common.close')}>
          <Icon name="close" />
        </button>
      </div>
      <div className="side-panel-body">
        {error !== null && <ErrorBanner error={error} />}
        <Field name="incidentType" label={t('plans.field.type')} hint={plan ? t('plans.field.typeFixed') : undefined} error={issueFor('incidentType')}>
          {(a) => (
            <select {...a} name="incidentType" value={draft.incidentType} disabled={Boolean(plan)} onChange={(e) => set('incidentType', 'incidentType', e.target.value)}>
              {types.map((x) => (
                <option key={x.code} value={x.code}>
                  {x.name}
                </option>
              ))}
              {/* A stored plan of a type no longer configured still shows its code. */}
              {draft.incidentType !== '' && !types.some((x) => x.code === draft.incidentType) && <option value={draft.incidentType}>{draft.incidentType}</option>}
            </select>
          )}
        </Field>
        <Field name="name" label={t('plans.field.name')} error={issueFor('name')}>
          {(a) => <input {...a} name="name" value={draft.name} maxLength={100} autoComplete="off" onChange={(e) => set('name', 'name', e.target.value)} />}
        </Field>

        <fieldset className={stepsError ? 'fieldset field-invalid' : 'fieldset'} data-testid="plan-steps">
          <legend>{t('plans.field.steps')}</legend>
          <ol className="plans-steps">
            {draft.steps.map((s, i) => {
              const stepError = issueFor(`steps.${i}`);
              const label = t('plans.stepLabel', { n: i + 1 });
              return (
                <li key={s.key} className={stepError ? 'plans-step field-invalid' : 'plans-step'} data-testid="plan-step-row">
                  <span className="plans-step-number mono" aria-hidden="true">
                    {i + 1}
                  </span>
                  <div className="plans-step-body">
                    <input
                      name={`steps.${i}`}
                      value={s.text}
                      maxLength={300}
                      autoComplete="off"
                      aria-label={label}
                      placeholder={label}
                      aria-invalid={Boolean(stepError)}
                      onChange={(e) => setStep(i, e.target.value)}
                    />
                    {stepError && (
                      <div className="field-error" role="alert">
                        {stepError}
                      </div>
                    )}
                  </div>
                  <div className="plans-row-tools">
                    <button type="button" className="icon-btn" data-action="up" disabled={i === 0} onClick={() => moveStep(i, -1)} aria-label={t('plans.moveUp', { n: i + 1 })} title={t('plans.moveUp', { n: i + 1 })}>
                      <Icon name="chevron-up" />
                    </button>
                    <button
                      type="button"
                      className="icon-btn"
                      data-action="down"
                      disabled={i === draft.steps.length - 1}
                      onClick={() => moveStep(i, 1)}
                      aria-label={t('plans.moveDown', { n: i + 1 })}
                      title={t('plans.moveDown', { n: i + 1 })}
                    >
                      <Icon name="chevron-down" />
                    </button>
                    <button type="button" className="icon-btn" data-action="remove" onClick={() => removeStep(i)} aria-label={t('plans.removeStep', { n: i + 1 })} title={t('plans.removeStep', { n: i + 1 })}>
                      <Icon name="trash" />
                    </button>
                  </div>
                </li>
              );
            })}
          </ol>
          <ListEnd error={stepsError} onAdd={addStep} full={draft.steps.length >= 50} label={t('plans.addStep')} testId="plan-add-step" />
        </fieldset>

        <fieldset className={issueFor('notify') ? 'fieldset field-invalid' : 'fieldset'} data-testid="plan-notify">
          <legend>{t('plans.field.notify')}</legend>
          <div className="checks checks-grid">
            {ROLES.map((role) => (
              <label key={role} className="check">
                <input
                  type="checkbox"
                  name="notify"
                  value={role}
                  checked={draft.notify.includes(role)}
                  onChange={(e) => set('notify', 'notify', e.target.checked ? [...draft.notify, role] : draft.notify.filter((r) => r !== role))}
                />
                {t(`role.${role}`)}
              </label>
            ))}
          </div>
          {issueFor('notify') ? <div className="field-error">{issueFor('notify')}</div> : <div className="field-hint">{t('plans.notifyHint')}</div>}
        </fieldset>

        <fieldset className={resourcesError ? 'fieldset field-invalid' : 'fieldset'} data-testid="plan-resources">
          <legend>{t('plans.field.resources')}</legend>
          {draft.resources.length === 0 && <p className="muted small">{t('plans.noResources')}</p>}
          {draft.resources.length > 0 && (
            <ul className="plans-resources">
              {draft.resources.map((r, i) => {
                const resourceError = issueFor(`resources.${i}`);
                return (
                  <li key={r.key} className={resourceError ? 'plans-resource field-invalid' : 'plans-resource'} data-testid="plan-resource-row">
                    <select name={`resources.${i}.kind`} value={r.kind} aria-label={t('plans.resourceKind')} onChange={(e) => setResource(i, { kind: e.target.value as UnitKind }, 'kind')}>
                      {UNIT_KINDS.map((k) => (
                        <option key={k} value={k}>
                          {t(`unitKind.${k}`)}
                        </option>
                      ))}
                    </select>
                    <input
                      name={`resources.${i}.count`}
                      type="number"
                      min={1}
                      max={50}
                      className="plans-count"
                      value={r.count}
                      aria-label={t('plans.resourceCount')}
                      aria-invalid={Boolean(resourceError)}
                      onChange={(e) => setResource(i, { count: e.target.value }, 'count')}
                    />
                    <button type="button" className="icon-btn" data-action="remove" onClick={() => removeResource(i)} aria-label={t('plans.removeResource', { n: i + 1 })} title={t('plans.removeResource', { n: i + 1 })}>
                      <Icon name="trash" />
                    </button>
                    {resourceError && (
                      <div className="field-error plans-resource-error" role="alert">
                        {resourceError}
                      </div>
                    )}
                  </li>
                );
              })}
            </ul>
          )}
          <ListEnd error={resourcesError} onAdd={addResource} full={draft.resources.length >= 20} label={t('plans.addResource')} testId="plan-add-resource" />
        </fieldset>

        <Field name="cameraCount" label={t('plans.field.cameraCount')} hint={t('plans.cameraCountHint')} error={issueFor('cameraCount')}>
          {(a) => <input {...a} name="cameraCount" type="number" min={0} max={64} className="plans-count" value={draft.cameraCount} onChange={(e) => set('cameraCount', 'cameraCount', e.target.value)} />}
        </Field>

        <div className={issueFor('active') ? 'field field-invalid' : 'field'}>
          <label className="check">
            <input type="checkbox" name="active" checked={draft.active} onChange={(e) => set('active', 'active', e.target.checked)} />
            <span>{t('plans.field.active')}</span>
          </label>
          {issueFor('active') ? <div className="field-error">{issueFor('active')}</div> : <div className="field-hint">{t('plans.activeHint')}</div>}
        </div>
      </div>
      <div className="side-panel-actions">
        {plan && (
          <button type="button" className="btn btn-danger-ghost plans-delete" onClick={() => setConfirmDelete(true)} disabled={busy} data-testid="plan-delete">
            <Icon name="trash" />
            <span>{t('plans.delete')}</span>
          </button>
        )}
        <button type="button" className="btn" onClick={props.onCancel} disabled={busy}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy || (!plan && types.length === 0)} data-testid="plan-save">
          {saving ? t('common.saving') : t('common.save')}
        </button>
      </div>

      {confirmDelete && plan && (
        <ConfirmDialog
          title={t('plans.deleteTitle', { name: plan.name })}
          confirmLabel={t('plans.delete')}
          cancelLabel={t('common.cancel')}
          busy={deleting}
          danger
          onCancel={() => setConfirmDelete(false)}
          onConfirm={() => void onDelete()}
        >
          {t('plans.deleteBody')}
        </ConfirmDialog>
      )}
    </form>
  );
}

/** The end of an editable list in the plan form: the list's error, then its "add" button (disabled when full). */
function ListEnd(props: { error: string | null | undefined; onAdd(): void; full: boolean; label: string; testId: string }) {
  return (
    <>
      {props.error && (
        <div className="field-error" role="alert">
          {props.error}
        </div>
      )}
      <button type="button" className="btn btn-small plans-add" onClick={props.onAdd} disabled={props.full} data-testid={props.testId}>
        <Icon name="plus" />
        <span>{props.label}</span>
      </button>
    </>
  );
}
