import { In, IsNull, type DataSource, type Repository } from 'typeorm';
import { conflict, notFound } from '../../_shared/errors.js';
import { newId } from '../../_shared/ids.js';
import { CategoryEntity } from './category.entity.js';

/** Knowledge-base categories. Every method is scoped by tenant. */
export class CategoryService {
  private readonly repo: Repository<CategoryEntity>;

  constructor(ds: DataSource) {
    this.repo = ds.getRepository(CategoryEntity);
  }

  async byIds(tenantId: string, ids: readonly string[]): Promise<CategoryEntity[]> {
    if (!ids.length) return [];
    return this.repo.findBy({ tenantId, id: In([...ids]) });
  }

  async get(tenantId: string, id: string): Promise<CategoryEntity> {
    const c = await this.repo.findOneBy({ tenantId, id });
    if (!c) throw notFound('category', id);
    return c;
  }

  list(tenantId: string): Promise<CategoryEntity[]> {
    return this.repo.find({ where: { tenantId }, order: { name: 'ASC', id: 'ASC' } });
  }

  /** CONFLICT when a sibling already has the name; NOT_FOUND for a parent outside the tenant. */
  async create(tenantId: string, input: { id?: string; name: string; parentId?: string | null }): Promise<CategoryEntity> {
    const parentId = input.parentId ? (await this.get(tenantId, input.parentId)).id : null;
    const sibling = await this.repo.findOneBy({ tenantId, name: input.name, parentId: parentId ?? IsNull() });
    if (sibling) throw conflict(`category "${input.name}" already exists here (${sibling.id})`);
    const c = this.repo.create({ id: input.id ?? newId(), tenantId, name: input.name, parentId });
    await this.repo.insert(c);
    return c;
  }
}
