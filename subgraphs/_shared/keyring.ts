import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM encryption at rest with key ids, shared by the customers PII vault and the conversations
 * subgraph's channel secrets. Keys come from configuration (`k1:<base64 of 32 bytes>,k2:...`); one is active.
 *
 * A stored value is `<keyId>:<base64(iv ‖ tag ‖ ciphertext)>`: the key id travels with the value, so keys can be
 * rotated (new values use the active key, old ones still decrypt while their key is configured, `reencrypt` moves
 * them over). The caller's associated data (tenant, column, field...) makes a value copied elsewhere fail to decrypt.
 */

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]{1,16}$/;

/** `k1:<base64 of 32 bytes>,k2:...` → key id → key. Problems are returned as messages, not thrown. */
export function parseKeyring(spec: string): { keys: Map<string, Buffer>; problems: string[] } {
  const keys = new Map<string, Buffer>();
  const problems: string[] = [];
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = part.indexOf(':');
    const id = at > 0 ? part.slice(0, at) : '';
    if (!KEY_ID.test(id)) {
      problems.push('each key must be "<id>:<base64>" with an id of letters, digits, _ or - (at most 16)');
      continue;
    }
    const key = Buffer.from(part.slice(at + 1), 'base64');
    if (key.length !== 32) problems.push(`key ${id} must be 32 bytes, base64-encoded (got ${key.length})`);
    else if (keys.has(id)) problems.push(`key id ${id} appears twice`);
    else keys.set(id, key);
  }
  if (!keys.size && !problems.length) problems.push('needs at least one key');
  return { keys, problems };
}

/**
 * The problems of a key list and its active key id, by which setting is wrong (for a config's superRefine).
 * Without an active id, the only key is active; with several keys the id is required.
 */
export function keyringProblems(spec: string, activeKeyId: string | undefined): Array<{ setting: 'keys' | 'active'; message: string }> {
  const { keys, problems } = parseKeyring(spec);
  const out: Array<{ setting: 'keys' | 'active'; message: string }> = problems.map((message) => ({ setting: 'keys', message }));
  if (activeKeyId !== undefined && !keys.has(activeKeyId)) out.push({ setting: 'active', message: 'must be one of the configured key ids' });
  if (activeKeyId === undefined && keys.size > 1) out.push({ setting: 'active', message: 'is required when several keys are configured' });
  return out;
}

/** The key id of a stored value (the part before the first colon). */
export function keyIdOf(stored: string): string {
  const at = stored.indexOf(':');
  if (at <= 0) throw new Error('malformed encrypted value');
  return stored.slice(0, at);
}

/** A value was encrypted with a key that is no longer configured. */
export class KeyMissingError extends Error {
  constructor(readonly keyId: string, message = `encryption key ${keyId} is not configured`) {
    super(message);
    this.name = 'KeyMissingError';
  }
}

export interface KeyedCipherOptions {
  /** What the keys protect, for messages ("PII", "channel secret"). */
  label?: string;
  /** The error a value under an unconfigured key raises (names the setting to fix). */
  missingKey?: (keyId: string) => Error;
}

/** AES-256-GCM with key ids and caller-given associated data. */
export class KeyedCipher {
  constructor(private readonly keys: ReadonlyMap<string, Buffer>, readonly activeKeyId: string, private readonly opts: KeyedCipherOptions = {}) {
    if (!keys.has(activeKeyId)) throw new Error(`active ${opts.label ?? 'encryption'} key ${activeKeyId} is not among the configured keys`);
  }

  encrypt(plain: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeKeyId)!, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${this.activeKeyId}:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64')}`;
  }

  decrypt(stored: string, aad: string): string {
    const keyId = keyIdOf(stored);
    const key = this.keys.get(keyId);
    if (!key) throw this.opts.missingKey?.(keyId) ?? new KeyMissingError(keyId);
    const raw = Buffer.from(stored.slice(keyId.length + 1), 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('malformed encrypted value');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  /** True when the value was encrypted with another key than the active one. */
  isStale(stored: string): boolean {
    return keyIdOf(stored) !== this.activeKeyId;
  }

  /** The same plaintext under the active key (the rotation path); a value already under it is returned as is. */
  reencrypt(stored: string, aad: string): string {
    return this.isStale(stored) ? this.encrypt(this.decrypt(stored, aad), aad) : stored;
  }
}
