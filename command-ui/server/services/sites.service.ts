import type { CreateSiteRequest, Site } from '../../../contracts/api.ts';
import { NotFoundError } from '../../../contracts/errors.ts';
import type { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import type { SitesRepository } from '../../../storage/repositories/sites.repository.ts';
import type { Principal, RequestMeta } from './auth.service.ts';

export class SitesService {
  constructor(private readonly deps: { sites: SitesRepository; audit: AuditRepository }) {}

  async list(): Promise<{ items: Site[]; total: number }> {
    const items = await this.deps.sites.list();
    return { items, total: items.length };
  }

  async create(input: CreateSiteRequest, actor: Principal, meta: RequestMeta): Promise<Site> {
    const site = await this.deps.sites.create(input);
    await this.deps.audit.append({
      userId: actor.userId,
      username: actor.username,
      action: 'site.create',
      targetType: 'site',
      targetId: site.id,
      detail: { name: site.name, kind: site.kind },
      ip: meta.ip,
    });
    return site;
  }

  async remove(id: string, actor: Principal, meta: RequestMeta): Promise<void> {
    if (!(await this.deps.sites.delete(id))) throw new NotFoundError(`No site with id ${id}.`);
    await this.deps.audit.append({ userId: actor.userId, username: actor.username, action: 'site.delete', targetType: 'site', targetId: id, ip: meta.ip });
  }
}
