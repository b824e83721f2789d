import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { PiiSettings } from '../config.js';

/** The personal fields kept encrypted. The field and the tenant are bound to each value as associated data. */
export type PiiField = 'phone' | 'address';

/** What a lookup hash is for: separate purposes never produce equal hashes for equal input. */
export type HashPurpose = 'phone' | 'name-address';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class PiiKeyMissingError extends Error {
  constructor(keyId: string) {
    super(`PII key ${keyId} is not configured (PII_KEYS); keep retired keys until re-encryption has finished`);
    this.name = 'PiiKeyMissingError';
  }
}

/**
 * AES-256-GCM encryption of personal data at rest, and keyed hashes to find rows by it.
 *
 * A stored value is `<keyId>:<base64(iv ‖ tag ‖ ciphertext)>`: the key id travels with the value, so keys can be
 * rotated (new values use the active key, old ones still decrypt, `reencrypt` moves them over). The associated
 * data `<tenantId>:<field>` makes a value copied into another tenant or another column fail to decrypt.
 * Lookup hashes are HMAC-SHA256 with a separate key over `<purpose>, <tenantId>, <normalised value>`: equal
 * numbers in two tenants hash differently, and the hash reveals nothing without the key.
 */
export class PiiVault {
  constructor(private readonly settings: PiiSettings) {
    if (!settings.keys.has(settings.activeKeyId)) throw new Error(`active PII key ${settings.activeKeyId} is not among the configured keys`);
  }

  get activeKeyId(): string {
    return this.settings.activeKeyId;
  }

  encrypt(plain: string, tenantId: string, field: PiiField): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.settings.keys.get(this.settings.activeKeyId)!, iv);
    cipher.setAAD(Buffer.from(`${tenantId}:${field}`, 'utf8'));
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${this.settings.activeKeyId}:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64')}`;
  }

  decrypt(stored: string, tenantId: string, field: PiiField): string {
    const keyId = keyIdOf(stored);
    const key = this.settings.keys.get(keyId);
    if (!key) throw new PiiKeyMissingError(keyId);
    const raw = Buffer.from(stored.slice(keyId.length + 1), 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('malformed encrypted value');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(`${tenantId}:${field}`, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  /** True when the value was encrypted with another key than the active one. */
  isStale(stored: string): boolean {
    return keyIdOf(stored) !== this.settings.activeKeyId;
  }

  /** The same plaintext under the active key (the rotation path). */
  reencrypt(stored: string, tenantId: string, field: PiiField): string {
    return this.isStale(stored) ? this.encrypt(this.decrypt(stored, tenantId, field), tenantId, field) : stored;
  }

  /** 64 hex characters; fits the identity external_id and the *_hash columns. */
  hash(purpose: HashPurpose, tenantId: string, normalized: string): string {
    return createHmac('sha256', this.settings.hashKey).update(`${purpose}\u0000${tenantId}\u0000${normalized}`, 'utf8').digest('hex');
  }
}

export function keyIdOf(stored: string): string {
  const at = stored.indexOf(':');
  if (at <= 0) throw new Error('malformed encrypted value');
  return stored.slice(0, at);
}
