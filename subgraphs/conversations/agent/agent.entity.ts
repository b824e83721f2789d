import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export enum AgentStatus {
  ONLINE = 'ONLINE',
  AWAY = 'AWAY',
  BUSY = 'BUSY',
  OFFLINE = 'OFFLINE',
}

@Entity('agents')
@Index('uq_agents_tenant_email', ['tenantId', 'email'], { unique: true })
export class AgentEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'name', type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'email', type: 'varchar', length: 191 })
  email: string;

  @Column({ name: 'status', type: 'varchar', length: 20 })
  status: AgentStatus;

  /** Concurrent conversations the agent may hold (routing, later). */
  @Column({ name: 'max_chats', type: 'int' })
  maxChats: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

/** A skill group (L1 routing target): orders, logistics, after-sales, VIP... */
@Entity('agent_groups')
@Index('uq_agent_groups_tenant_name', ['tenantId', 'name'], { unique: true })
export class AgentGroupEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'name', type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'description', type: 'varchar', length: 500, nullable: true })
  description: string | null;
}

@Entity('agent_group_members')
@Index('uq_agent_group_members', ['agentId', 'groupId'], { unique: true })
@Index('idx_agent_group_members_group', ['groupId'])
export class AgentGroupMemberEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'agent_id', type: 'varchar', length: 36 })
  agentId: string;

  @Column({ name: 'group_id', type: 'varchar', length: 36 })
  groupId: string;
}
