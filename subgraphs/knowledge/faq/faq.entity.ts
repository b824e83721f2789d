import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One answer to one question; the question's phrasings are faq_questions rows. */
@Entity('faqs')
@Index('idx_faqs_tenant_created', ['tenantId', 'createdAt'])
@Index('idx_faqs_tenant_updated', ['tenantId', 'updatedAt'])
export class FaqEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'category_id', type: 'varchar', length: 36, nullable: true })
  categoryId: string | null;

  @Column({ name: 'answer', type: 'text' })
  answer: string;

  /** DRAFT | PUBLISHED | ARCHIVED */
  @Column({ name: 'status', type: 'varchar', length: 10 })
  status: string;

  @Column({ name: 'tags', type: 'json', nullable: true })
  tags: string[] | null;

  @Column({ name: 'valid_from', type: 'datetime', precision: 3, nullable: true })
  validFrom: Date | null;

  @Column({ name: 'valid_to', type: 'datetime', precision: 3, nullable: true })
  validTo: Date | null;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy: string;

  @Column({ name: 'updated_by', type: 'varchar', length: 64 })
  updatedBy: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** One phrasing of an FAQ's question; position 0 is the one shown as its title. */
@Entity('faq_questions')
@Index('idx_faq_questions_tenant_faq', ['tenantId', 'faqId'])
export class FaqQuestionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'faq_id', type: 'varchar', length: 36 })
  faqId: string;

  @Column({ name: 'position', type: 'int' })
  position: number;

  @Column({ name: 'question', type: 'varchar', length: 200 })
  question: string;
}
