import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { HandoffSummaryData } from '../../../plugins/ai-summarizer/index.js';

/** Why a handoff summary was made. */
export enum HandoffTrigger {
  /** A customer with activity in the last 30 days came in on another channel. */
  CHANNEL_SWITCH = 'CHANNEL_SWITCH',
  /** The conversation moved from one agent to another. */
  TRANSFER = 'TRANSFER',
  /** The bot handed the customer to a human. */
  ESCALATION = 'ESCALATION',
}

@Entity('handoff_summaries')
@Index('idx_handoff_summaries_conversation', ['tenantId', 'conversationId', 'createdAt'])
export class HandoffSummaryEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'conversation_id', type: 'varchar', length: 36 })
  conversationId: string;

  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId: string;

  /** The receiving agent; null while the conversation waits in the queue. */
  @Column({ name: 'agent_id', type: 'varchar', length: 36, nullable: true })
  agentId: string | null;

  @Column({ name: 'trigger_type', type: 'varchar', length: 30 })
  trigger: HandoffTrigger;

  @Column({ name: 'provider', type: 'varchar', length: 100 })
  provider: string;

  @Column({ name: 'summary', type: 'json' })
  summary: HandoffSummaryData;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
