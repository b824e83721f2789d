import { ChannelConfigError, type PluginHost } from '../../../plugins/host/index.js';
import { REDACTED, secretPaths } from '../../../plugins/sdk/index.js';
import { KeyedCipher, KeyMissingError } from '../../_shared/keyring.js';

/** A secret as stored: `{ "$enc": "<keyId>:<base64(iv ‖ tag ‖ ciphertext of the JSON value)>" }`. */
export const SEALED_KEY = '$enc';
export interface Sealed { [SEALED_KEY]: string }

/** The channel a config belongs to (its id, tenant and type are bound to every sealed value). */
export interface ChannelRef { id: string; tenantId: string; type: string }

type Path = Array<string | '*'>;
type Visit = (value: unknown, at: string[]) => unknown;

export const isSealed = (v: unknown): v is Sealed =>
  !!v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as Record<string, unknown>)[SEALED_KEY] === 'string';

/** `fn` applied at every value of a schema path (`*` = each array item); `at` is the concrete path. */
function mapPath(value: unknown, path: Path, at: string[], fn: Visit): unknown {
  if (!path.length) return fn(value, at);
  if (value === null || typeof value !== 'object') return value;
  const [head, ...rest] = path;
  if (head === '*') return Array.isArray(value) ? value.map((v, i) => mapPath(v, rest, [...at, String(i)], fn)) : value;
  if (Array.isArray(value) || !(head in value)) return value;
  return { ...(value as object), [head]: mapPath((value as Record<string, unknown>)[head], rest, [...at, head], fn) };
}

/** `fn` applied to every sealed value anywhere in the config (opening needs no schema). */
function mapSealed(value: unknown, at: string[], fn: Visit): unknown {
  if (isSealed(value)) return fn(value, at);
  if (Array.isArray(value)) return value.map((v, i) => mapSealed(v, [...at, String(i)], fn));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapSealed(v, [...at, k], fn)]));
  return value;
}

const isPlainSecret = (v: unknown) => v !== undefined && v !== null && v !== '' && !isSealed(v);

/**
 * Channel secrets encrypted at rest. The fields a channel type's plugin marks `secret()` in its config schema
 * (wechat-oa `appSecret`, `token`, `encodingAESKey`; partner-api `secret`...) are stored sealed with the shared
 * AES-256-GCM keyring (CHANNEL_SECRET_KEYS, else PII_KEYS), bound to `<tenant>:channel:<channel id>:<field path>`
 * so a value copied to another channel, field or tenant does not open. Configs are opened only where a plugin is
 * bound (ChannelBindings) or an admin's update is merged; everything else sees them sealed or redacted.
 * Plaintext secrets (rows from before encryption) still open, and are sealed by `ChannelSecretSweep` at boot.
 */
export class ChannelSecrets {
  constructor(private readonly cipher: KeyedCipher, private readonly host: PluginHost) {}

  get activeKeyId(): string { return this.cipher.activeKeyId; }

  private aad(c: ChannelRef, at: string[]): string {
    return `${c.tenantId}:channel:${c.id}:${at.join('.')}`;
  }

  private paths(type: string): Path[] {
    return this.host.hasChannelType(type) ? secretPaths(this.host.adapter(type).configSchema) : [];
  }

  /**
   * The config as it is stored: every secret field sealed under the active key (values sealed under an older key
   * are moved over). A type without a loaded plugin keeps its plaintext fields (nobody knows which are secret).
   */
  seal<T extends Record<string, unknown>>(c: ChannelRef, config: T): T {
    const resealed = mapSealed(config, [], (v, at) => ({ [SEALED_KEY]: this.cipher.reencrypt((v as Sealed)[SEALED_KEY], this.aad(c, at)) }));
    let out = resealed;
    for (const p of this.paths(c.type)) {
      out = mapPath(out, p, [], (v, at) => (isPlainSecret(v) ? { [SEALED_KEY]: this.cipher.encrypt(JSON.stringify(v), this.aad(c, at)) } : v));
    }
    return out as T;
  }

  /**
   * The config with every sealed value opened, for the plugin. A value that does not open (its key is no longer
   * configured, or it was altered or copied) is a ChannelConfigError naming the field: the webhook answers 503
   * and the channel's health says why, without the value.
   */
  open<T extends Record<string, unknown>>(c: ChannelRef, config: T): T {
    return mapSealed(config, [], (v, at) => {
      try {
        return JSON.parse(this.cipher.decrypt((v as Sealed)[SEALED_KEY], this.aad(c, at)));
      } catch (e) {
        const message = e instanceof KeyMissingError
          ? `sealed with key ${e.keyId}, which is not configured (CHANNEL_SECRET_KEYS)`
          : 'cannot be decrypted (another key, or the stored value was altered)';
        throw new ChannelConfigError(c.type, [{ path: at.join('.'), message }]);
      }
    }) as T;
  }

  /** Sealed values replaced by REDACTED (a last line of defence after the plugin's own redaction). */
  redact<T>(config: T): T {
    return mapSealed(config, [], () => REDACTED) as T;
  }

  /** The concrete paths of sealed values that remain in a config (e.g. after merging an update with one that did not open). */
  sealedPaths(config: unknown): string[] {
    const out: string[] = [];
    mapSealed(config, [], (v, at) => (out.push(at.join('.')), v));
    return out;
  }

  /** True when the stored config has a plaintext secret or a value sealed under another key than the active one. */
  needsSealing(c: ChannelRef, config: Record<string, unknown>): boolean {
    let found = false;
    mapSealed(config, [], (v) => ((found ||= this.cipher.isStale((v as Sealed)[SEALED_KEY])), v));
    for (const p of this.paths(c.type)) mapPath(config, p, [], (v) => ((found ||= isPlainSecret(v)), v));
    return found;
  }
}
