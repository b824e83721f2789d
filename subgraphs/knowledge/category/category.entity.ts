import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('knowledge_categories')
@Index('idx_knowledge_categories_tenant_name', ['tenantId', 'name'])
export class CategoryEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'name', type: 'varchar', length: 100 })
  name: string;

  /** null for a top-level category. */
  @Column({ name: 'parent_id', type: 'varchar', length: 36, nullable: true })
  parentId: string | null;
}
