import { In, type DataSource, type Repository } from 'typeorm';
import { isUniqueViolation } from '../../_shared/db-errors.js';
import { conflict, notFound } from '../../_shared/errors.js';
import { newId } from '../../_shared/ids.js';
import { AgentEntity, AgentGroupEntity, AgentGroupMemberEntity, AgentStatus } from './agent.entity.js';

export interface NewAgent {
  id?: string;
  name: string;
  email: string;
  status?: AgentStatus | null;
  maxChats?: number | null;
  groupIds?: string[] | null;
}

/** Agents, their skill groups and memberships. Every method is scoped by tenant. */
export class AgentService {
  private readonly agents: Repository<AgentEntity>;
  private readonly groups: Repository<AgentGroupEntity>;
  private readonly members: Repository<AgentGroupMemberEntity>;

  constructor(private readonly ds: DataSource) {
    this.agents = ds.getRepository(AgentEntity);
    this.groups = ds.getRepository(AgentGroupEntity);
    this.members = ds.getRepository(AgentGroupMemberEntity);
  }

  async byIds(tenantId: string, ids: readonly string[]): Promise<AgentEntity[]> {
    if (!ids.length) return [];
    return this.agents.findBy({ tenantId, id: In([...ids]) });
  }

  async groupsByIds(tenantId: string, ids: readonly string[]): Promise<AgentGroupEntity[]> {
    if (!ids.length) return [];
    return this.groups.findBy({ tenantId, id: In([...ids]) });
  }

  async get(tenantId: string, id: string): Promise<AgentEntity> {
    const a = await this.agents.findOneBy({ tenantId, id });
    if (!a) throw notFound('agent', id);
    return a;
  }

  list(tenantId: string): Promise<AgentEntity[]> {
    return this.agents.find({ where: { tenantId }, order: { name: 'ASC', id: 'ASC' } });
  }

  listGroups(tenantId: string): Promise<AgentGroupEntity[]> {
    return this.groups.find({ where: { tenantId }, order: { name: 'ASC', id: 'ASC' } });
  }

  /** Memberships of the given agents, or (byGroup) of the given groups. */
  async memberships(tenantId: string, ids: readonly string[], byGroup = false): Promise<AgentGroupMemberEntity[]> {
    if (!ids.length) return [];
    return this.members.findBy(byGroup ? { tenantId, groupId: In([...ids]) } : { tenantId, agentId: In([...ids]) });
  }

  async create(tenantId: string, input: NewAgent): Promise<AgentEntity> {
    const groupIds = [...new Set(input.groupIds ?? [])];
    const found = await this.groupsByIds(tenantId, groupIds);
    const missing = groupIds.find((g) => !found.some((f) => f.id === g));
    if (missing) throw notFound('agent group', missing);
    const agent = this.agents.create({
      id: input.id ?? newId(), tenantId, name: input.name, email: input.email.toLowerCase(),
      status: input.status ?? AgentStatus.OFFLINE, maxChats: input.maxChats ?? 5, createdAt: new Date(),
    });
    try {
      await this.ds.transaction(async (m) => {
        await m.insert(AgentEntity, agent);
        for (const groupId of groupIds) await m.insert(AgentGroupMemberEntity, { id: newId(), tenantId, agentId: agent.id, groupId });
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`an agent with email ${agent.email} already exists`);
      throw e;
    }
    return agent;
  }

  async createGroup(tenantId: string, input: { id?: string; name: string; description?: string | null }): Promise<AgentGroupEntity> {
    const g = this.groups.create({ id: input.id ?? newId(), tenantId, name: input.name, description: input.description ?? null });
    try {
      await this.groups.insert(g);
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`an agent group named ${input.name} already exists`);
      throw e;
    }
    return g;
  }
}
