import type { DataSource, Repository } from 'typeorm';
import { isUniqueViolation } from '../../_shared/db-errors.js';
import { badInput, conflict } from '../../_shared/errors.js';
import { newId } from '../../_shared/ids.js';
import type { AgentService } from '../agent/agent.service.js';
import type { JsonObject } from '../message/message.entity.js';
import { RoutingRuleSetEntity } from './routing.entity.js';
import { DEFAULT_RULES, parseRules, referencedIds, type RoutingRules } from './routing.rules.js';

export interface RuleSetView {
  version: number;
  /** As saved. */
  rules: JsonObject;
  /** With every default filled in: what routing runs on. */
  effective: RoutingRules;
  updatedAt: Date | null;
  updatedBy: string | null;
}

/** How long a replica trusts its copy of a tenant's rules: a saved change applies everywhere within this. */
export const RULES_TTL_MS = 1000;

/** The tenant's routing rules: read often (cached briefly per replica), written rarely (optimistic version). */
export class RoutingRulesService {
  private readonly repo: Repository<RoutingRuleSetEntity>;
  private readonly cache = new Map<string, { at: number; view: RuleSetView }>();

  constructor(
    ds: DataSource,
    private readonly agents: AgentService,
    private readonly clock: () => number = Date.now,
  ) {
    this.repo = ds.getRepository(RoutingRuleSetEntity);
  }

  async view(tenantId: string): Promise<RuleSetView> {
    const hit = this.cache.get(tenantId);
    if (hit && this.clock() - hit.at < RULES_TTL_MS) return hit.view;
    const row = await this.repo.findOneBy({ tenantId });
    let view: RuleSetView;
    if (!row) view = { version: 0, rules: {}, effective: DEFAULT_RULES, updatedAt: null, updatedBy: null };
    else {
      // Saved rules were valid when saved; a later schema change must not stop routing, so fall back loudly.
      let effective: RoutingRules;
      try {
        effective = parseRules(row.rules);
      } catch {
        effective = DEFAULT_RULES;
      }
      view = { version: row.version, rules: row.rules, effective, updatedAt: row.updatedAt, updatedBy: row.updatedBy };
    }
    this.cache.set(tenantId, { at: this.clock(), view });
    return view;
  }

  async get(tenantId: string): Promise<RoutingRules> {
    return (await this.view(tenantId)).effective;
  }

  /**
   * Validates (shape with zod, then that every group and agent belongs to the tenant) and saves. BAD_USER_INPUT
   * names the offending rule path; CONFLICT when `expectedVersion` is not the saved version.
   */
  async update(tenantId: string, raw: JsonObject, expectedVersion: number | null | undefined, by: string): Promise<RuleSetView> {
    const rules = parseRules(raw);
    const refs = referencedIds(rules);
    const groupIds = [...new Set(refs.groups.map(([, g]) => g))];
    const agentIds = [...new Set(refs.agents.map(([, a]) => a))];
    const [groups, agents] = await Promise.all([this.agents.groupsByIds(tenantId, groupIds), this.agents.byIds(tenantId, agentIds)]);
    const knownGroups = new Set(groups.map((g) => g.id));
    const knownAgents = new Set(agents.map((a) => a.id));
    const badGroup = refs.groups.find(([, g]) => !knownGroups.has(g));
    if (badGroup) throw badInput(`Invalid routing rules: ${badGroup[0]}: no agent group ${badGroup[1]} in this tenant`, `rules.${badGroup[0]}`);
    const badAgent = refs.agents.find(([, a]) => !knownAgents.has(a));
    if (badAgent) throw badInput(`Invalid routing rules: ${badAgent[0]}: no agent ${badAgent[1]} in this tenant`, `rules.${badAgent[0]}`);

    const now = new Date(this.clock());
    const current = await this.repo.findOneBy({ tenantId });
    const currentVersion = current?.version ?? 0;
    if (expectedVersion !== null && expectedVersion !== undefined && expectedVersion !== currentVersion) {
      throw conflict(`routing rules are at version ${currentVersion}, not ${expectedVersion}`);
    }
    if (!current) {
      try {
        await this.repo.insert({ id: newId(), tenantId, version: 1, rules: raw, updatedAt: now, updatedBy: by });
      } catch (e) {
        if (isUniqueViolation(e)) throw conflict('routing rules were saved concurrently; read them again');
        throw e;
      }
    } else {
      const r = await this.repo.update({ tenantId, version: currentVersion }, { version: currentVersion + 1, rules: raw, updatedAt: now, updatedBy: by });
      if (!r.affected) throw conflict('routing rules were saved concurrently; read them again');
    }
    this.cache.delete(tenantId);
    return this.view(tenantId);
  }
}
