import { In, type DataSource, type Repository } from 'typeorm';
import { isUniqueViolation } from '../../_shared/db-errors.js';
import { badInput, conflict, notFound } from '../../_shared/errors.js';
import type { EventBus } from '../../_shared/events.js';
import { newId } from '../../_shared/ids.js';
import { likeContains } from '../../_shared/sql.js';
import { ReplyTemplateEntity } from './template.entity.js';
import { parseTemplate, renderTemplate, type Rendered } from './template.render.js';

/** Reply templates of a tenant. Names are unique per tenant; bodies must parse. */
export class ReplyTemplateService {
  private readonly repo: Repository<ReplyTemplateEntity>;

  constructor(
    ds: DataSource,
    private readonly events: EventBus,
  ) {
    this.repo = ds.getRepository(ReplyTemplateEntity);
  }

  async byIds(tenantId: string, ids: readonly string[]): Promise<ReplyTemplateEntity[]> {
    if (!ids.length) return [];
    return this.repo.findBy({ tenantId, id: In([...ids]) });
  }

  async get(tenantId: string, id: string): Promise<ReplyTemplateEntity> {
    const t = await this.repo.findOneBy({ tenantId, id });
    if (!t) throw notFound('reply template', id);
    return t;
  }

  /** By name; optionally those whose name or body contains the text. At most 200. */
  list(tenantId: string, search?: string | null): Promise<ReplyTemplateEntity[]> {
    const qb = this.repo.createQueryBuilder('t').where('t.tenant_id = :tenantId', { tenantId });
    const q = search?.trim();
    if (q) qb.andWhere("(t.name LIKE :q ESCAPE '!' OR t.body LIKE :q ESCAPE '!')", { q: likeContains(q) });
    return qb.orderBy('t.name', 'ASC').addOrderBy('t.id', 'ASC').take(200).getMany();
  }

  async create(tenantId: string, input: { id?: string; name: string; body: string }, authorId: string): Promise<ReplyTemplateEntity> {
    checkBody(input.body);
    const now = new Date();
    const t = this.repo.create({ id: input.id ?? newId(), tenantId, name: input.name.trim(), body: input.body, createdBy: authorId, updatedBy: authorId, createdAt: now, updatedAt: now });
    await this.save(() => this.repo.insert(t), t.name);
    await this.changed(t, 'created');
    return t;
  }

  async update(tenantId: string, input: { templateId: string; name?: string | null; body?: string | null }, authorId: string): Promise<ReplyTemplateEntity> {
    const t = await this.get(tenantId, input.templateId);
    if (input.body != null) checkBody(input.body);
    const patch = { name: input.name?.trim() || t.name, body: input.body ?? t.body, updatedBy: authorId, updatedAt: new Date() };
    await this.save(() => this.repo.update({ tenantId, id: t.id }, patch), patch.name);
    Object.assign(t, patch);
    await this.changed(t, 'updated');
    return t;
  }

  async delete(tenantId: string, templateId: string): Promise<string> {
    const t = await this.get(tenantId, templateId);
    await this.repo.delete({ tenantId, id: t.id });
    await this.changed(t, 'deleted');
    return t.id;
  }

  async render(tenantId: string, templateId: string, variables: Record<string, unknown>): Promise<Rendered> {
    const t = await this.get(tenantId, templateId);
    return renderTemplate(t.body, variables);
  }

  private async save(write: () => Promise<unknown>, name: string): Promise<void> {
    try {
      await write();
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`a reply template named "${name}" already exists`);
      throw e;
    }
  }

  private async changed(t: ReplyTemplateEntity, change: 'created' | 'updated' | 'deleted'): Promise<void> {
    await this.events.publish({ type: 'reply_template.changed', tenantId: t.tenantId, data: { templateId: t.id, change } });
  }
}

function checkBody(body: string): void {
  const { errors } = parseTemplate(body);
  if (errors.length) throw badInput(`template body: ${errors.join('; ')}`, 'body');
}
