import { createHmac } from 'node:crypto';
import { KeyedCipher, KeyMissingError } from '../../_shared/keyring.js';
import type { PiiSettings } from '../config.js';

export { keyIdOf } from '../../_shared/keyring.js';

/** The personal fields kept encrypted. The field and the tenant are bound to each value as associated data. */
export type PiiField = 'phone' | 'address';

/** What a lookup hash is for: separate purposes never produce equal hashes for equal input. */
export type HashPurpose = 'phone' | 'name-address';

export class PiiKeyMissingError extends KeyMissingError {
  constructor(keyId: string) {
    super(keyId, `PII key ${keyId} is not configured (PII_KEYS); keep retired keys until re-encryption has finished`);
    this.name = 'PiiKeyMissingError';
  }
}

/**
 * AES-256-GCM encryption of personal data at rest (the shared keyring: `<keyId>:<base64(iv ‖ tag ‖ ciphertext)>`,
 * rotatable), and keyed hashes to find rows by it. The associated data `<tenantId>:<field>` makes a value copied
 * into another tenant or another column fail to decrypt.
 * Lookup hashes are HMAC-SHA256 with a separate key over `<purpose>, <tenantId>, <normalised value>`: equal
 * numbers in two tenants hash differently, and the hash reveals nothing without the key.
 */
export class PiiVault {
  private readonly cipher: KeyedCipher;

  constructor(private readonly settings: PiiSettings) {
    this.cipher = new KeyedCipher(settings.keys, settings.activeKeyId, { label: 'PII', missingKey: (id) => new PiiKeyMissingError(id) });
  }

  get activeKeyId(): string {
    return this.cipher.activeKeyId;
  }

  encrypt(plain: string, tenantId: string, field: PiiField): string {
    return this.cipher.encrypt(plain, `${tenantId}:${field}`);
  }

  decrypt(stored: string, tenantId: string, field: PiiField): string {
    return this.cipher.decrypt(stored, `${tenantId}:${field}`);
  }

  /** True when the value was encrypted with another key than the active one. */
  isStale(stored: string): boolean {
    return this.cipher.isStale(stored);
  }

  /** The same plaintext under the active key (the rotation path). */
  reencrypt(stored: string, tenantId: string, field: PiiField): string {
    return this.cipher.reencrypt(stored, `${tenantId}:${field}`);
  }

  /** 64 hex characters; fits the identity external_id and the *_hash columns. */
  hash(purpose: HashPurpose, tenantId: string, normalized: string): string {
    return createHmac('sha256', this.settings.hashKey).update(`${purpose}\u0000${tenantId}\u0000${normalized}`, 'utf8').digest('hex');
  }
}
