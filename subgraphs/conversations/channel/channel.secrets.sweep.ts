import type { DataSource } from 'typeorm';
import type { Logger } from '../../_shared/logger.js';
import { ChannelEntity } from './channel.entity.js';
import type { ChannelSecrets } from './channel.secrets.js';

export interface ChannelSecretSweepResult {
  /** Channels whose plaintext secrets were sealed, or whose sealed secrets moved to the active key. */
  sealed: number;
  /** Channels left as they were (a value sealed under a key no longer configured): logged, without values. */
  failed: number;
}

/**
 * Brings every stored channel config to "secrets sealed under the active key": plaintext rows from before
 * encryption, and rows sealed under an older key after a rotation. Runs at boot on every replica (the keys are
 * configuration, so a migration cannot). Safe to run on several replicas at once: each row is re-read under a
 * row lock (MariaDB/MySQL; SQLite serialises writers) and rewritten only if it still needs it, so an admin's
 * concurrent update is never overwritten with the old config.
 */
export class ChannelSecretSweep {
  constructor(private readonly ds: DataSource, private readonly secrets: ChannelSecrets, private readonly log: Logger) {}

  async sweep(opts: { tenantId?: string; batchSize?: number; shouldStop?: () => boolean } = {}): Promise<ChannelSecretSweepResult> {
    const result: ChannelSecretSweepResult = { sealed: 0, failed: 0 };
    const repo = this.ds.getRepository(ChannelEntity);
    let after = '';
    for (;;) {
      if (opts.shouldStop?.()) break;
      const qb = repo.createQueryBuilder('c').where('c.id > :after', { after }).andWhere('c.config IS NOT NULL');
      if (opts.tenantId) qb.andWhere('c.tenant_id = :tenantId', { tenantId: opts.tenantId });
      const rows = await qb.orderBy('c.id', 'ASC').take(opts.batchSize ?? 200).getMany();
      if (!rows.length) break;
      after = rows[rows.length - 1].id;
      for (const c of rows) {
        if (!this.secrets.needsSealing(c, c.config!)) continue;
        try {
          if (await this.sealOne(c.id)) result.sealed++;
        } catch (err) {
          result.failed++;
          this.log.error({ channelId: c.id, tenantId: c.tenantId, reason: (err as Error).message }, 'could not seal the secrets of a channel');
        }
      }
    }
    if (result.sealed || result.failed) this.log.info({ ...result, activeKeyId: this.secrets.activeKeyId }, 'channel secrets sweep finished');
    return result;
  }

  /** How many stored configs still hold a plaintext secret or one sealed under another key than the active one. */
  async remaining(tenantId?: string): Promise<number> {
    const rows = await this.ds.getRepository(ChannelEntity).find({ where: tenantId ? { tenantId } : {} });
    return rows.filter((c) => c.config && this.secrets.needsSealing(c, c.config)).length;
  }

  private sealOne(id: string): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const qb = m.getRepository(ChannelEntity).createQueryBuilder('c').where('c.id = :id', { id });
      if (this.ds.options.type !== 'better-sqlite3') qb.setLock('pessimistic_write');
      const c = await qb.getOne();
      if (!c?.config || !this.secrets.needsSealing(c, c.config)) return false;
      await m.update(ChannelEntity, { id }, { config: this.secrets.seal(c, c.config) });
      return true;
    });
  }
}
