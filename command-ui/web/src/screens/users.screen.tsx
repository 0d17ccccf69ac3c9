import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { User } from '../../../../contracts/api.ts';
import { ROLES, type Role } from '../../../../contracts/roles.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { Field } from '../components/field.tsx';
import { Flash, useFlash } from '../components/flash.tsx';
import { Icon } from '../components/icon.tsx';
import { useFieldErrors } from '../components/use-field-errors.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { hrefFor, navigate } from '../shell/hash-route.ts';
import { useSignedIn } from '../state/session.tsx';
import { accessSummary, CameraAccessPanel } from '../users/camera-access-panel.tsx';

/** User administration: list, add (with roles), disable / enable. `#/users/new` opens the add panel. */
export function UsersScreen({ subPath }: { subPath: string | undefined }) {
  const { t, formatDateTime } = useI18n();
  const { api, user: me } = useSignedIn();
  const [users, setUsers] = useState<User[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [busyId, setBusyId] = useState<string | null>(null);
  const [flash, showFlash] = useFlash();
  const [accessOf, setAccessOf] = useState<User | null>(null);

  const load = useCallback(() => {
    setLoading(true);
    setError(null);
    api.listUsers().then(
      (reply) => {
        setUsers(reply.items);
        setLoading(false);
      },
      (caught: unknown) => {
        setError(caught);
        setLoading(false);
      },
    );
  }, [api]);
  useEffect(load, [load]);

  const replace = (user: User) => setUsers((list) => (list.some((u) => u.id === user.id) ? list.map((u) => (u.id === user.id ? user : u)) : [...list, user]));

  const toggle = async (user: User) => {
    setBusyId(user.id);
    setActionError(null);
    try {
      const updated = await api.updateUser(user.id, { disabled: !user.disabled });
      replace(updated);
      showFlash(t(updated.disabled ? 'users.disabledMsg' : 'users.enabledMsg', { name: updated.username }));
    } catch (caught) {
      setActionError(caught);
    } finally {
      setBusyId(null);
    }
  };

  const sorted = [...users].sort((a, b) => a.username.localeCompare(b.username));

  return (
    <section className="screen screen-split" data-testid="users-screen">
      <div className="screen-main">
        <header className="screen-header">
          <h1 className="screen-title">{t('users.title')}</h1>
          <span className="screen-count">{t('common.total', { count: users.length })}</span>
          <div className="screen-tools">
            <a className="btn btn-primary" href={hrefFor('users', 'new')} data-testid="add-user">
              <Icon name="plus" />
              <span>{t('users.add')}</span>
            </a>
          </div>
        </header>
        <Flash message={flash} />
        {error !== null && <ErrorBanner error={error} onRetry={load} />}
        {actionError !== null && <ErrorBanner error={actionError} />}
        <div className="table-wrap">
          <table className="table" data-testid="user-table">
            <thead>
              <tr>
                <th>{t('users.col.username')}</th>
                <th>{t('users.col.displayName')}</th>
                <th>{t('users.col.roles')}</th>
                <th>{t('access.column')}</th>
                <th className="col-small">{t('users.col.state')}</th>
                <th className="col-time">{t('users.col.created')}</th>
                <th className="col-actions">{t('common.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {sorted.map((user) => (
                <tr key={user.id} data-username={user.username} className={user.disabled ? 'row-dim' : undefined}>
                  <td className="mono">
                    {user.username}
                    {user.id === me.id && <span className="tag">{t('users.you')}</span>}
                  </td>
                  <td>{user.displayName}</td>
                  <td>
                    {user.roles.map((r) => (
                      <span key={r} className="role-tag" data-role={r}>
                        {t(`role.${r}`)}
                      </span>
                    ))}
                  </td>
                  <td className="access-summary" data-testid="access-summary">
                    {accessSummary(user.cameraAccess, t).map((line) => (
                      <div key={line} className={line.endsWith(t('access.all')) ? 'muted' : undefined}>
                        {line}
                      </div>
                    ))}
                  </td>
                  <td>
                    <span className={user.disabled ? 'bool bool-no' : 'bool bool-yes'}>{user.disabled ? t('users.disabledState') : t('users.active')}</span>
                    {user.mustChangePassword && <span className="tag tag-warn">{t('users.mustChange')}</span>}
                  </td>
                  <td className="mono muted">{formatDateTime(user.createdAt)}</td>
                  <td className="cell-actions">
                    <button type="button" className="btn btn-small" onClick={() => setAccessOf(user)} data-action="access">
                      {t('access.edit')}
                    </button>{' '}
                    <button
                      type="button"
                      className={user.disabled ? 'btn btn-small' : 'btn btn-small btn-danger-ghost'}
                      disabled={busyId === user.id || user.id === me.id}
                      title={user.id === me.id ? t('users.cannotDisableSelf') : undefined}
                      onClick={() => void toggle(user)}
                      data-action={user.disabled ? 'enable' : 'disable'}
                    >
                      {user.disabled ? t('users.enable') : t('users.disable')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {loading && users.length === 0 && <div className="table-empty">{t('common.loading')}</div>}
          {!loading && error === null && users.length === 0 && <div className="table-empty">{t('users.empty')}</div>}
        </div>
      </div>
      {accessOf !== null && subPath !== 'new' && (
        <CameraAccessPanel
          key={accessOf.id}
          user={accessOf}
          onClose={() => setAccessOf(null)}
          onSaved={(user) => {
            replace(user);
            setAccessOf(null);
            showFlash(t('access.saved', { name: user.username }));
          }}
        />
      )}
      {subPath === 'new' && (
        <UserForm
          onCancel={() => navigate('users')}
          onCreated={(user) => {
            replace(user);
            showFlash(t('users.created', { name: user.username }));
            navigate('users');
          }}
        />
      )}
    </section>
  );
}

function UserForm({ onCancel, onCreated }: { onCancel(): void; onCreated(user: User): void }) {
  const { t } = useI18n();
  const { api } = useSignedIn();
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [roles, setRoles] = useState<Role[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const fieldErrors = useFieldErrors(error);
  const issueFor = fieldErrors.errorFor;
  /** Wrap a setter so that editing a field clears its server message. */
  const edit =
    <T,>(field: string, setter: (value: T) => void) =>
    (value: T) => {
      setter(value);
      fieldErrors.edited(field);
    };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    fieldErrors.reset();
    try {
      onCreated(await api.createUser({ username: username.trim(), displayName: displayName.trim(), password, roles }));
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  return (
    <form className="side-panel" onSubmit={submit} noValidate aria-labelledby="user-form-title" data-testid="user-form">
      <div className="side-panel-head">
        <h2 id="user-form-title" className="side-panel-title">
          {t('users.addTitle')}
        </h2>
        <button type="button" className="icon-btn" onClick={onCancel} aria-label={t('common.close')} title={t('common.close')}>
          <Icon name="close" />
        </button>
      </div>
      <div className="side-panel-body">
        {error !== null && <ErrorBanner error={error} />}
        <Field name="username" label={t('users.field.username')} hint={t('users.field.usernameHint')} error={issueFor('username')}>
          {(a) => <input {...a} name="username" value={username} onChange={(e) => edit('username', setUsername)(e.target.value)} autoComplete="off" autoFocus className="mono" />}
        </Field>
        <Field name="displayName" label={t('users.field.displayName')} error={issueFor('displayName')}>
          {(a) => <input {...a} name="displayName" value={displayName} onChange={(e) => edit('displayName', setDisplayName)(e.target.value)} autoComplete="off" />}
        </Field>
        <Field name="password" label={t('users.field.password')} hint={t('users.field.passwordHint')} error={issueFor('password')}>
          {(a) => <input {...a} name="password" type="password" value={password} onChange={(e) => edit('password', setPassword)(e.target.value)} autoComplete="new-password" />}
        </Field>
        <fieldset className={issueFor('roles') ? 'fieldset field-invalid' : 'fieldset'}>
          <legend>{t('users.field.roles')}</legend>
          <div className="checks checks-grid">
            {ROLES.map((role) => (
              <label key={role} className="check">
                <input
                  type="checkbox"
                  name="roles"
                  value={role}
                  checked={roles.includes(role)}
                  onChange={(e) => edit('roles', setRoles)(e.target.checked ? [...roles, role] : roles.filter((r) => r !== role))}
                />
                {t(`role.${role}`)}
              </label>
            ))}
          </div>
          {issueFor('roles') && <div className="field-error">{issueFor('roles')}</div>}
        </fieldset>
      </div>
      <div className="side-panel-actions">
        <button type="button" className="btn" onClick={onCancel} disabled={busy}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? t('common.saving') : t('common.save')}
        </button>
      </div>
    </form>
  );
}
