import type { DataSource } from 'typeorm';
import type { EventBus } from '../../_shared/events.js';
import { newId } from '../../_shared/ids.js';
import type { Logger } from '../../_shared/logger.js';
import { isRetryableTransactionError, isUniqueViolation } from '../../_shared/db-errors.js';
import { CustomerEntity } from '../customer/customer.entity.js';
import { addressEnc, identityKey, keyString, nameAddressHash, phoneFields, type IdentityKey, type PhoneFields } from '../customer/customer.pii.js';
import { identityRows, type CustomerService } from '../customer/customer.service.js';
import type { MergeSuggestionEntity } from '../merge/merge.entity.js';
import { SCORES, type Candidate, type MergeSuggestionService } from '../merge/suggestion.service.js';
import type { PiiVault } from '../pii/pii.vault.js';
import { placeholderName } from './identity.kinds.js';

/** What a channel knows about the sender of an inbound message. */
export interface IdentityInput {
  channelType: string;
  externalId: string;
  appId?: string | null;
  unionId?: string | null;
  phone?: string | null;
  phoneVerified?: boolean | null;
  appUserId?: string | null;
  name?: string | null;
  address?: string | null;
}

export type LinkedBy = 'EXACT' | 'STRONG_KEY' | 'NEW';

export interface Resolution {
  customer: CustomerEntity;
  created: boolean;
  linkedBy: LinkedBy;
  /** Suggestions this message raised (weak signals, or a strong key already on another customer). */
  suggestions: MergeSuggestionEntity[];
}

/** The input as lookup keys and protected values, computed once per resolution. */
interface Prepared {
  primary: IdentityKey;
  /** UnionID, logged-in app user, verified phone: in this order of trust. */
  strong: IdentityKey[];
  phone: PhoneFields | null;
  address: string | null;
}

const MAX_ATTEMPTS = 6;

class Retry extends Error {}

/**
 * Identity resolution: which customer sent this message?
 *
 * 1. An exact identity match (same kind, app id and external id) is that customer.
 * 2. Otherwise a strong key — the WeChat UnionID, a logged-in app user id, a verified phone number — that some
 *    customer already has links the new identity to that customer automatically.
 * 3. Otherwise a new customer is created with all of these identities.
 * Weak signals (a phone nobody verified, the same name and address) never link: they raise a merge suggestion.
 * A merged customer is followed to its survivor.
 *
 * Safe under concurrency across replicas without locks held between messages: identities are unique per
 * (tenant, kind, app id, external id), so when two replicas race to create or link the same identity one insert
 * fails with a unique violation, its transaction (and the customer it was creating) rolls back, and it runs the
 * resolution again, which now finds the winner's identity. Links to a customer being merged wait for the merge
 * (see CustomerService.attach) and are then retried against the survivor.
 */
export class IdentityService {
  constructor(
    private readonly ds: DataSource,
    private readonly events: EventBus,
    private readonly vault: PiiVault,
    private readonly customers: CustomerService,
    private readonly suggestions: MergeSuggestionService,
    private readonly log: Logger,
  ) {}

  async resolve(tenantId: string, input: IdentityInput): Promise<Resolution> {
    const prepared = this.prepare(tenantId, input);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(tenantId, input, prepared);
      } catch (e) {
        const lostRace = e instanceof Retry || isUniqueViolation(e) || isRetryableTransactionError(e);
        if (!lostRace || attempt >= MAX_ATTEMPTS) throw e;
        this.log.debug({ tenantId, attempt, channelType: input.channelType }, 'identity resolution lost a race; resolving again');
        if (attempt > 1) await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
      }
    }
  }

  /** Validates and turns the input into lookup keys once (hashing and encryption are not redone on retries). */
  private prepare(tenantId: string, input: IdentityInput): Prepared {
    const primary = identityKey(this.vault, tenantId, input);
    const strong: IdentityKey[] = [];
    // A WeChat UnionID can come with any channel: WeChat apps, WeCom external contacts, a brand app or site with
    // WeChat login.
    const unionId = input.unionId?.trim();
    if (unionId) strong.push({ kind: 'wechat-unionid', appId: '', externalId: unionId, channelType: input.channelType, valueEnc: null });
    const appUserId = input.appUserId?.trim();
    if (appUserId) strong.push({ kind: 'app-user', appId: '', externalId: appUserId, channelType: input.channelType, valueEnc: null });
    const phone = input.phone ? phoneFields(this.vault, tenantId, input.phone) : null;
    if (phone && input.phoneVerified) strong.push({ kind: 'phone', appId: '', externalId: phone.phoneHash, channelType: input.channelType, valueEnc: phone.phoneEnc });
    const address = input.address?.trim() || null;
    return { primary, strong: strong.filter((k) => keyString(k) !== keyString(primary)), phone, address };
  }

  /**
   * The customers that own any of the keys, in one round trip (identity joined with its customer), then merged
   * owners followed to their survivors (rare). Raw SQL hydrated with typeorm's own column conversions: this is
   * the hot path of every inbound message.
   */
  private async owners(tenantId: string, keys: IdentityKey[]): Promise<{ owner: Map<string, string>; survivors: Map<string, CustomerEntity> }> {
    const meta = this.ds.getMetadata(CustomerEntity);
    const rows = (await this.ds.query(this.customers.sql.owners(keys.length), [tenantId, ...keys.flatMap((k) => [k.kind, k.appId, k.externalId])])) as Array<Record<string, unknown>>;
    const owner = new Map<string, string>();
    const survivors = new Map<string, CustomerEntity>();
    const merged: string[] = [];
    for (const r of rows) {
      const c = new CustomerEntity();
      for (const col of meta.columns) (c as unknown as Record<string, unknown>)[col.propertyName] = this.ds.driver.prepareHydratedValue(r[`c_${col.databaseName}`], col);
      owner.set(keyString({ kind: String(r.ci_kind), appId: String(r.ci_app_id), externalId: String(r.ci_external_id) }), c.id);
      if (c.mergedInto) merged.push(c.id);
      else survivors.set(c.id, c);
    }
    if (merged.length) for (const [id, c] of await this.customers.survivors(tenantId, merged)) survivors.set(id, c);
    return { owner, survivors };
  }

  private async attempt(tenantId: string, input: IdentityInput, p: Prepared): Promise<Resolution> {
    const keys = [p.primary, ...p.strong];
    const { owner, survivors } = await this.owners(tenantId, keys);
    const ownerOf = (k: IdentityKey) => {
      const id = owner.get(keyString(k));
      return id ? survivors.get(id) : undefined;
    };

    const exact = ownerOf(p.primary);
    const byStrong = exact ? undefined : p.strong.map(ownerOf).find(Boolean);
    const customer = exact ?? byStrong;
    if (!customer) return this.createNew(tenantId, input, p, keys);

    // Keys this customer does not have yet (strong keys seen for the first time, or the primary identity).
    const missing = keys.filter((k) => !owner.has(keyString(k)));
    // Keys some other customer has: the same person twice by a strong key. Not merged automatically (a merge is an
    // audited decision), but suggested with the highest score.
    const elsewhere = [...new Set(keys.map(ownerOf).filter((c): c is CustomerEntity => !!c && c.id !== customer.id).map((c) => c.id))];
    const patch = this.profileFill(tenantId, customer, p);
    if (missing.length || Object.keys(patch).length) {
      if (!(await this.customers.attach(tenantId, customer.id, missing, patch))) throw new Retry(); // merged meanwhile
      Object.assign(customer, patch);
      if (missing.length) {
        await this.events.publish({
          type: 'customer.identity_linked',
          tenantId,
          data: { customerId: customer.id, kinds: missing.map((k) => k.kind), channelType: input.channelType, linkedBy: exact ? 'EXACT' : 'STRONG_KEY' },
        });
      }
    }
    const suggestions = [
      ...(await this.suggestions.record(tenantId, customer.id, elsewhere.map((candidateId): Candidate => ({ candidateId, reason: 'SHARED_STRONG_KEY', score: SCORES.SHARED_STRONG_KEY })))),
      ...(Object.keys(patch).length ? await this.suggestions.suggestFor(tenantId, customer.id, { phoneHash: patch.phoneHash, nameAddressHash: patch.nameAddressHash }) : []),
    ];
    return { customer, created: false, linkedBy: exact ? 'EXACT' : 'STRONG_KEY', suggestions };
  }

  /** Profile fields the message tells us and the customer lacks (never overwriting what an agent entered). */
  private profileFill(tenantId: string, c: CustomerEntity, p: Prepared): Partial<CustomerEntity> {
    const patch: Partial<CustomerEntity> = {};
    if (p.phone && !c.phoneHash) Object.assign(patch, { phoneEnc: p.phone.phoneEnc, phoneHash: p.phone.phoneHash });
    if (p.address && !c.addressEnc) {
      Object.assign(patch, { addressEnc: addressEnc(this.vault, tenantId, p.address), nameAddressHash: nameAddressHash(this.vault, tenantId, c.name, p.address) });
    }
    return patch;
  }

  private async createNew(tenantId: string, input: IdentityInput, p: Prepared, keys: IdentityKey[]): Promise<Resolution> {
    const now = new Date();
    const id = newId();
    const name = input.name?.trim() || null;
    const customer: CustomerEntity = {
      id,
      tenantId,
      name: name ?? placeholderName(p.primary.kind, id),
      level: 'NORMAL',
      phoneEnc: p.phone?.phoneEnc ?? null,
      phoneHash: p.phone?.phoneHash ?? null,
      addressEnc: p.address ? addressEnc(this.vault, tenantId, p.address) : null,
      // Without a real name, "same name and address" means nothing.
      nameAddressHash: p.address && name ? nameAddressHash(this.vault, tenantId, name, p.address) : null,
      mergedInto: null,
      createdAt: now,
      updatedAt: now,
    };
    const sql = this.customers.sql;
    await this.ds.transaction(async (m) => {
      await m.query(...sql.insertCustomer(customer));
      await m.query(...sql.insertIdentities(identityRows(tenantId, id, keys, now)));
    });
    await this.events.publish({ type: 'customer.created', tenantId, data: { customerId: id, channelType: input.channelType, kinds: keys.map((k) => k.kind) } });
    const suggestions = await this.suggestions.suggestFor(tenantId, id, { phoneHash: customer.phoneHash, nameAddressHash: customer.nameAddressHash });
    return { customer, created: true, linkedBy: 'NEW', suggestions };
  }
}
