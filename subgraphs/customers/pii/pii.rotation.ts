import type { DataSource } from 'typeorm';
import { isUniqueViolation } from '../../_shared/db-errors.js';
import type { Logger } from '../../_shared/logger.js';
import { ChannelIdentityEntity, CustomerEntity } from '../customer/customer.entity.js';
import { normalizePhone } from './pii.format.js';
import type { PiiVault } from './pii.vault.js';

export interface SweepResult {
  /** Values re-encrypted under the active key. */
  reencrypted: number;
  /** Phone identities from before encryption (plain number in external_id) hashed and encrypted. */
  upgraded: number;
  /** Values that could not be moved (key no longer configured, not a number): left as they were, and logged. */
  failed: number;
}

export interface SweepOptions {
  tenantId?: string;
  batchSize?: number;
  /** Checked between batches: lets a stopping worker end the sweep early (it resumes at the next boot). */
  shouldStop?: () => boolean;
}

/**
 * The key-rotation path: every encrypted value whose key id is not the active one is decrypted and encrypted
 * again with the active key; phone identities stored before encryption existed are hashed and encrypted. Safe to
 * run on several replicas at once and to interrupt: each row is rewritten on condition that it still holds the
 * value that was read, and rows are walked once in id order. Retire an old key only after a sweep reports
 * nothing left (`remaining`).
 */
export class PiiRotation {
  constructor(private readonly ds: DataSource, private readonly vault: PiiVault, private readonly log: Logger) {}

  async sweep(opts: SweepOptions = {}): Promise<SweepResult> {
    const result: SweepResult = { reencrypted: 0, upgraded: 0, failed: 0 };
    await this.sweepCustomers(opts, result);
    await this.sweepIdentities(opts, result);
    if (result.reencrypted || result.upgraded || result.failed) this.log.info({ ...result, tenantId: opts.tenantId, activeKeyId: this.vault.activeKeyId }, 'PII sweep finished');
    return result;
  }

  /** How many values still use another key than the active one (or are not yet encrypted). */
  async remaining(tenantId?: string): Promise<number> {
    const prefix = `${this.vault.activeKeyId}:`;
    const stale = (c: string) => `(${c} IS NOT NULL AND SUBSTR(${c}, 1, ${prefix.length}) <> :prefix)`;
    const customers = this.ds
      .getRepository(CustomerEntity)
      .createQueryBuilder('c')
      .where(`(${stale('c.phone_enc')} OR ${stale('c.address_enc')})`, { prefix });
    const identities = this.ds
      .getRepository(ChannelIdentityEntity)
      .createQueryBuilder('i')
      .where(`i.kind = 'phone' AND (i.value_enc IS NULL OR ${stale('i.value_enc')})`, { prefix });
    if (tenantId) {
      customers.andWhere('c.tenant_id = :tenantId', { tenantId });
      identities.andWhere('i.tenant_id = :tenantId', { tenantId });
    }
    return (await customers.getCount()) + (await identities.getCount());
  }

  private async sweepCustomers(opts: SweepOptions, result: SweepResult): Promise<void> {
    const prefix = `${this.vault.activeKeyId}:`;
    const repo = this.ds.getRepository(CustomerEntity);
    let after = '';
    for (;;) {
      if (opts.shouldStop?.()) return;
      const qb = repo
        .createQueryBuilder('c')
        .where('c.id > :after', { after })
        .andWhere(
          `((c.phone_enc IS NOT NULL AND SUBSTR(c.phone_enc, 1, ${prefix.length}) <> :prefix) OR (c.address_enc IS NOT NULL AND SUBSTR(c.address_enc, 1, ${prefix.length}) <> :prefix))`,
          { prefix },
        );
      if (opts.tenantId) qb.andWhere('c.tenant_id = :tenantId', { tenantId: opts.tenantId });
      const rows = await qb.orderBy('c.id', 'ASC').take(opts.batchSize ?? 500).getMany();
      if (!rows.length) return;
      after = rows[rows.length - 1].id;
      for (const c of rows) {
        try {
          const phoneEnc = c.phoneEnc ? this.vault.reencrypt(c.phoneEnc, c.tenantId, 'phone') : null;
          const addressEnc = c.addressEnc ? this.vault.reencrypt(c.addressEnc, c.tenantId, 'address') : null;
          const res = await repo
            .createQueryBuilder()
            .update(CustomerEntity)
            .set({ phoneEnc, addressEnc })
            .where('id = :id', { id: c.id })
            .andWhere(c.phoneEnc === null ? 'phone_enc IS NULL' : 'phone_enc = :oldPhone', { oldPhone: c.phoneEnc })
            .andWhere(c.addressEnc === null ? 'address_enc IS NULL' : 'address_enc = :oldAddress', { oldAddress: c.addressEnc })
            .execute();
          if (res.affected) result.reencrypted++;
        } catch (err) {
          result.failed++;
          this.log.error({ customerId: c.id, tenantId: c.tenantId, err: (err as Error).message }, 'could not re-encrypt a customer profile');
        }
      }
    }
  }

  private async sweepIdentities(opts: SweepOptions, result: SweepResult): Promise<void> {
    const prefix = `${this.vault.activeKeyId}:`;
    const repo = this.ds.getRepository(ChannelIdentityEntity);
    let after = '';
    for (;;) {
      if (opts.shouldStop?.()) return;
      const qb = repo
        .createQueryBuilder('i')
        .where("i.id > :after AND i.kind = 'phone'", { after })
        .andWhere(`(i.value_enc IS NULL OR SUBSTR(i.value_enc, 1, ${prefix.length}) <> :prefix)`, { prefix });
      if (opts.tenantId) qb.andWhere('i.tenant_id = :tenantId', { tenantId: opts.tenantId });
      const rows = await qb.orderBy('i.id', 'ASC').take(opts.batchSize ?? 500).getMany();
      if (!rows.length) return;
      after = rows[rows.length - 1].id;
      for (const i of rows) {
        try {
          if (i.valueEnc) {
            const res = await repo.update({ id: i.id, valueEnc: i.valueEnc }, { valueEnc: this.vault.reencrypt(i.valueEnc, i.tenantId, 'phone') });
            if (res.affected) result.reencrypted++;
            continue;
          }
          const e164 = normalizePhone(i.externalId);
          if (!e164) throw new Error('a phone identity that holds no phone number');
          const res = await repo.update(
            { id: i.id, externalId: i.externalId, kind: 'phone' },
            { externalId: this.vault.hash('phone', i.tenantId, e164), valueEnc: this.vault.encrypt(e164, i.tenantId, 'phone') },
          );
          if (res.affected) result.upgraded++;
        } catch (err) {
          result.failed++;
          const reason = isUniqueViolation(err) ? 'the same number is already an identity (hashed)' : (err as Error).message;
          this.log.error({ identityId: i.id, customerId: i.customerId, tenantId: i.tenantId, reason }, 'could not protect a phone identity');
        }
      }
    }
  }
}
