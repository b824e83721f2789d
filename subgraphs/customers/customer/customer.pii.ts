import { badInput } from '../../_shared/errors.js';
import { appIdFor, kindOfChannel, type IdentityKind } from '../identity/identity.kinds.js';
import { nameAddressKey, normalizeAddress, normalizePhone } from '../pii/pii.format.js';
import type { PiiVault } from '../pii/pii.vault.js';

/** A channel identity as it is stored and looked up: for phones the external id is the keyed hash. */
export interface IdentityKey {
  kind: string;
  appId: string;
  externalId: string;
  channelType: string;
  valueEnc: string | null;
}

export const keyString = (k: { kind: string; appId: string; externalId: string }) => `${k.kind}\u0000${k.appId}\u0000${k.externalId}`;

/** A phone number as the customer tables keep it: encrypted, plus its lookup hash. */
export interface PhoneFields {
  e164: string;
  phoneEnc: string;
  phoneHash: string;
}

/** Normalises and protects a phone number; BAD_USER_INPUT (on `field`) when it is not one. */
export function phoneFields(vault: PiiVault, tenantId: string, raw: string, field = 'phone'): PhoneFields {
  const e164 = normalizePhone(raw);
  if (!e164) throw badInput('is not a phone number', field);
  return { e164, phoneEnc: vault.encrypt(e164, tenantId, 'phone'), phoneHash: vault.hash('phone', tenantId, e164) };
}

export function addressEnc(vault: PiiVault, tenantId: string, raw: string): string {
  return vault.encrypt(normalizeAddress(raw), tenantId, 'address');
}

export function nameAddressHash(vault: PiiVault, tenantId: string, name: string, address: string): string {
  return vault.hash('name-address', tenantId, nameAddressKey(name, normalizeAddress(address)));
}

/**
 * A phone channel's caller whose number the call center withheld (`anonymous:<call id>`, channel-phone): an
 * identity of its own kind, one per call, never a number to hash, match or merge on.
 */
export const WITHHELD_CALLER_KIND: IdentityKind = 'phone-withheld';
const WITHHELD_PREFIX = 'anonymous:';

/**
 * channel type + external id (+ app id) → the stored key. A phone channel's id is a number: hashed, encrypted;
 * or a withheld caller (`anonymous:…`).
 */
export function identityKey(vault: PiiVault, tenantId: string, i: { channelType: string; externalId: string; appId?: string | null }, field = 'externalId'): IdentityKey {
  const kind = kindOfChannel(i.channelType);
  if (kind === 'phone' && i.externalId.startsWith(WITHHELD_PREFIX) && i.externalId.length > WITHHELD_PREFIX.length) {
    return { kind: WITHHELD_CALLER_KIND, appId: '', externalId: i.externalId.trim(), channelType: i.channelType, valueEnc: null };
  }
  if (kind === 'phone') {
    const p = phoneFields(vault, tenantId, i.externalId, field);
    return { kind, appId: '', externalId: p.phoneHash, channelType: i.channelType, valueEnc: p.phoneEnc };
  }
  const externalId = i.externalId.trim();
  if (!externalId) throw badInput('must not be blank', field);
  return { kind, appId: appIdFor(kind, i.appId), externalId, channelType: i.channelType, valueEnc: null };
}
