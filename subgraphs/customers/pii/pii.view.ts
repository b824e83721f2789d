import { hasRole, type Role, type Viewer } from '../../_shared/auth.js';
import type { Logger } from '../../_shared/logger.js';
import { displayPhone, maskAddress, maskPhone, normalizePhone } from './pii.format.js';
import type { PiiField, PiiVault } from './pii.vault.js';

/** Roles that see phone numbers and addresses in full; everyone else sees them masked. */
export const PII_FULL_VIEW: Role[] = ['admin', 'supervisor'];

export const seesPiiInFull = (viewer: Viewer | null): boolean => !!viewer && hasRole(viewer, ...PII_FULL_VIEW);

/**
 * An encrypted value as the viewer may see it: in full for PII_FULL_VIEW roles, masked otherwise. A value that
 * cannot be decrypted (its key was retired too early) shows as null and is logged without the value.
 */
export function reveal(vault: PiiVault, viewer: Viewer | null, enc: string | null, field: PiiField, log: Logger, ref: Record<string, string>): string | null {
  if (!enc || !viewer) return null;
  let plain: string;
  try {
    plain = vault.decrypt(enc, viewer.tenant, field);
  } catch (err) {
    log.error({ ...ref, field, reason: (err as Error).name }, 'could not decrypt a personal field');
    return null;
  }
  return present(plain, field, seesPiiInFull(viewer));
}

/** A plaintext value as shown: phones in their national form for China, masked unless `full`. */
export function present(plain: string, field: PiiField, full: boolean): string {
  if (field === 'address') return full ? plain : maskAddress(plain);
  const e164 = normalizePhone(plain) ?? plain;
  return full ? displayPhone(e164) : maskPhone(e164);
}
