import { describe, expect, it } from 'vitest';
import { roomPermission } from '../../command-ui/server/socket.gateway.ts';
import { HTTP_STATUS, toErrorBody } from '../../command-ui/server/errors.ts';
import { ERROR_CODES, ForbiddenError, ValidationError } from '../../contracts/errors.ts';
import { PERMISSIONS, ROLES, hasPermission } from '../../contracts/roles.ts';

const principal = (roles: (typeof ROLES)[number][]) => ({ userId: 'u1', username: 'u', roles, sessionId: 's' });

describe('permissions', () => {
  it('lets only admins manage cameras and users, and every role view cameras', () => {
    expect(ROLES.filter((r) => hasPermission([r], 'cameras.manage'))).toEqual(['admin']);
    expect(ROLES.filter((r) => hasPermission([r], 'users.manage'))).toEqual(['admin']);
    expect(ROLES.every((r) => hasPermission([r], 'cameras.view'))).toBe(true);
    expect(hasPermission(['patrol', 'analyst'], 'sightings.search')).toBe(true);
    expect(hasPermission([], 'cameras.view')).toBe(false);
  });

  it('names only known roles in the permission table', () => {
    for (const roles of Object.values(PERMISSIONS)) for (const r of roles) expect(ROLES).toContain(r);
  });

  it('lets a socket join its own user and role rooms and permitted resource rooms only', () => {
    expect(roomPermission('role:patrol', principal(['patrol'])).ok).toBe(true);
    expect(roomPermission('role:admin', principal(['patrol'])).ok).toBe(false);
    expect(roomPermission('user:u1', principal(['patrol'])).ok).toBe(true);
    expect(roomPermission('user:u2', principal(['admin'])).ok).toBe(false);
    expect(roomPermission('camera:c1', principal(['checkpoint'])).ok).toBe(true);
    expect(roomPermission('session:s', principal(['admin'])).ok).toBe(false);
    expect(roomPermission('camera:' + 'x'.repeat(100), principal(['admin'])).ok).toBe(false);
  });
});

describe('error mapping', () => {
  it('gives every error code an HTTP status', () => {
    for (const code of Object.values(ERROR_CODES)) expect(HTTP_STATUS[code]).toBeGreaterThanOrEqual(400);
    expect(HTTP_STATUS[ERROR_CODES.FORBIDDEN]).toBe(403);
  });

  it('keeps the message and issues of our errors and hides internal ones', () => {
    expect(toErrorBody(new ValidationError('bad', [{ path: 'name', message: 'required' }]))).toEqual({
      error: { code: 'E_VALIDATION', message: 'bad', issues: [{ path: 'name', message: 'required' }] },
    });
    expect(toErrorBody(new ForbiddenError()).error.code).toBe('E_FORBIDDEN');
    const hidden = toErrorBody(new Error('connection string postgres://u:secret@db'));
    expect(hidden.error.code).toBe('E_INTERNAL');
    expect(JSON.stringify(hidden)).not.toContain('secret');
  });
});
