import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** What a merge moved from the merged customer to the survivor: exactly what an unmerge gives back. */
export interface MergeMoved {
  identities: Array<{ id: string; kind: string; channelType: string }>;
  /** Tags the survivor did not have: the merged customer's rows now point at the survivor. */
  tagsMoved: string[];
  /** Tags both had: the merged customer's row was dropped (re-created on unmerge). */
  tagsShared: string[];
  /**
   * Profile fields the survivor took over. Phone and address are only ever filled when the survivor had none
   * (so undoing clears them); level records the survivor's own. No personal data is kept here.
   */
  profile: Array<{ field: 'phone' | 'address' | 'level'; before: string | null; after: string | null }>;
}

export const MERGE_STATUSES = ['MERGED', 'UNMERGED'] as const;

/** The audit of one merge: who, when, why, what moved; reversed by an unmerge (who, when, why). */
@Entity('customer_merges')
@Index('idx_customer_merges_tenant_survivor', ['tenantId', 'survivorId'])
@Index('idx_customer_merges_tenant_merged', ['tenantId', 'mergedId'])
@Index('idx_customer_merges_tenant_created', ['tenantId', 'createdAt'])
export class CustomerMergeEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'survivor_id', type: 'varchar', length: 36 })
  survivorId: string;

  @Column({ name: 'merged_id', type: 'varchar', length: 36 })
  mergedId: string;

  @Column({ name: 'reason', type: 'varchar', length: 500 })
  reason: string;

  /** The JWT subject of whoever merged. */
  @Column({ name: 'merged_by', type: 'varchar', length: 64 })
  mergedBy: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  /** MERGED | UNMERGED */
  @Column({ name: 'status', type: 'varchar', length: 10 })
  status: string;

  @Column({ name: 'suggestion_id', type: 'varchar', length: 36, nullable: true })
  suggestionId: string | null;

  @Column({ name: 'moved', type: 'json' })
  moved: MergeMoved;

  @Column({ name: 'unmerged_by', type: 'varchar', length: 64, nullable: true })
  unmergedBy: string | null;

  @Column({ name: 'unmerged_at', type: 'datetime', precision: 3, nullable: true })
  unmergedAt: Date | null;

  @Column({ name: 'unmerge_reason', type: 'varchar', length: 500, nullable: true })
  unmergeReason: string | null;
}

export const SUGGESTION_REASONS = ['SAME_UNVERIFIED_PHONE', 'SAME_NAME_AND_ADDRESS', 'SHARED_STRONG_KEY'] as const;
export type SuggestionReason = (typeof SUGGESTION_REASONS)[number];
export const SUGGESTION_STATUSES = ['PENDING', 'ACCEPTED', 'REJECTED'] as const;

/** A weak sign that two customers are one person, for an agent to accept (merge) or reject. */
@Entity('merge_suggestions')
@Index('uq_merge_suggestions_pair', ['tenantId', 'pairKey', 'reason'], { unique: true })
@Index('idx_merge_suggestions_tenant_status_created', ['tenantId', 'status', 'createdAt'])
export class MergeSuggestionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  /** The customer whose new data raised the suggestion (usually the newer one). */
  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId: string;

  /** The existing customer it may be. */
  @Column({ name: 'candidate_id', type: 'varchar', length: 36 })
  candidateId: string;

  /** The two ids in order, so that a pair is suggested once whichever side raised it. */
  @Column({ name: 'pair_key', type: 'varchar', length: 73 })
  pairKey: string;

  @Column({ name: 'reason', type: 'varchar', length: 40 })
  reason: string;

  @Column({ name: 'score', type: 'double' })
  score: number;

  /** PENDING | ACCEPTED | REJECTED */
  @Column({ name: 'status', type: 'varchar', length: 10 })
  status: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'decided_by', type: 'varchar', length: 64, nullable: true })
  decidedBy: string | null;

  @Column({ name: 'decided_at', type: 'datetime', precision: 3, nullable: true })
  decidedAt: Date | null;

  @Column({ name: 'merge_id', type: 'varchar', length: 36, nullable: true })
  mergeId: string | null;
}
