import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A tenant's own group of words that mean the same to its customers (besides the built-in groups). */
@Entity('knowledge_synonyms')
@Index('idx_knowledge_synonyms_tenant', ['tenantId', 'createdAt'])
export class SynonymGroupEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'terms', type: 'json' })
  terms: string[];

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
