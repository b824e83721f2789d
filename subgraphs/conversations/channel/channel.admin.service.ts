import { newPartnerSecret, rotatePartnerSecret, type PartnerApiChannelConfig } from '../../../plugins/channel-partner-api/index.js';
import { ChannelConfigError, UnknownChannelTypeError, healthSeenBy, worst, type Health, type PluginHost } from '../../../plugins/host/index.js';
import { hasRole, type Viewer } from '../../_shared/auth.js';
import { badInput } from '../../_shared/errors.js';
import { newId } from '../../_shared/ids.js';
import { addressesOf, isPrivateAddress } from '../../_shared/private-address.js';
import type { ChannelBindings } from '../ingest/channel-bindings.js';
import type { ChannelEntity } from './channel.entity.js';
import type { ChannelHealthBoard, ReplicaChannelHealth } from './channel.health-board.js';
import type { ChannelSecrets } from './channel.secrets.js';
import type { ChannelScope, ChannelService } from './channel.service.js';

/** Plugin config problems as a BAD_USER_INPUT naming the fields (never the values). */
function validated(host: PluginHost, type: string, config: unknown): Record<string, unknown> {
  try {
    return host.validateChannelConfig(type, config) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof ChannelConfigError) throw badInput(e.message, 'config');
    if (e instanceof UnknownChannelTypeError) throw badInput(e.message, 'type');
    throw e;
  }
}

/**
 * What a caller manages: admins every channel of their tenant; a partner (without the admin role) only the
 * channels it registered. Others reach none through these operations (the resolvers' roles already refuse them).
 */
export function manageScope(viewer: Viewer): ChannelScope {
  return hasRole(viewer, 'admin') ? {} : { ownerId: viewer.sub };
}

/** What a caller lists: staff see the tenant's channels; a partner only its own. */
export function readScope(viewer: Viewer): ChannelScope {
  return hasRole(viewer, 'admin', 'supervisor', 'agent', 'service') ? {} : { ownerId: viewer.sub };
}

/**
 * Channels as admins and partners manage them: configs validated by the type's plugin, secrets sealed at rest
 * (ChannelSecrets), redacted on the way out and kept when an update echoes "[redacted]", webhook URLs, health,
 * partner ownership and secret rotation.
 */
export class ChannelAdminService {
  constructor(
    private readonly channels: ChannelService,
    private readonly bindings: ChannelBindings,
    private readonly secrets: ChannelSecrets,
    private readonly publicBaseUrl: string,
    /** Every replica's plugin and delivery health (channel.health-board.ts). */
    private readonly board: ChannelHealthBoard,
    /** Tells the other replicas to drop their bound copy (channel.changes.ts). */
    private readonly announce: (id: string) => Promise<void> = async () => undefined,
    /** CHANNEL_HTTP_BLOCK_PRIVATE: partners' callback URLs may not point at internal addresses. */
    private readonly blockPrivateAddresses = false,
  ) {}

  /**
   * A partner's callback URL that is, or resolves to, a loopback, private or link-local address is refused when it
   * is registered, so the partner learns it at once rather than from failed replies. The plugins' HTTP client checks
   * the address it connects to on every send as well (a name can be repointed later); a name that does not resolve
   * yet is left to that check.
   */
  private async assertPublicCallback(url: string): Promise<void> {
    if (!this.blockPrivateAddresses) return;
    const addresses = await addressesOf(new URL(url)).catch((): string[] => []);
    if (addresses.some(isPrivateAddress)) throw badInput('must not point at a loopback, private or link-local address', 'callbackUrl');
  }

  private async changed(id: string): Promise<void> {
    this.bindings.forget(id);
    await this.announce(id);
  }

  get host(): PluginHost { return this.bindings.host; }

  webhookUrl(c: Pick<ChannelEntity, 'id'>): string {
    return `${this.publicBaseUrl.replace(/\/+$/, '')}/webhooks/${c.id}`;
  }

  list(tenantId: string, scope: ChannelScope): Promise<ChannelEntity[]> {
    return this.channels.list(tenantId, scope);
  }

  find(tenantId: string, id: string, scope: ChannelScope): Promise<ChannelEntity | null> {
    return this.channels.find(tenantId, id, scope);
  }

  /** A config is validated when given; without one the channel is a plain registry entry (no webhook, no sends). */
  async create(
    tenantId: string,
    input: { type: string; name: string; enabled?: boolean | null; config?: Record<string, unknown> | null },
    ownerId: string | null = null,
  ): Promise<ChannelEntity> {
    const id = newId();
    const config = input.config != null ? this.secrets.seal({ id, tenantId, type: input.type }, validated(this.host, input.type, input.config)) : null;
    return this.channels.create(tenantId, { id, type: input.type, name: input.name, enabled: input.enabled, config, ownerId });
  }

  async update(tenantId: string, id: string, input: { name?: string | null; enabled?: boolean | null; config?: Record<string, unknown> | null }, scope: ChannelScope = {}): Promise<ChannelEntity> {
    const c = await this.channels.get(tenantId, id, scope);
    let config: Record<string, unknown> | undefined;
    if (input.config != null) {
      if (!this.host.hasChannelType(c.type)) throw badInput(`no plugin provides channel type "${c.type}"`, 'config');
      const merged = c.config ? this.host.mergeChannelConfig(c.type, this.openForMerge(c), input.config) : input.config;
      const unopened = this.secrets.sealedPaths(merged);
      if (unopened.length) throw badInput(`config: the stored ${unopened.join(', ')} cannot be decrypted with the configured keys; send the value again instead of "[redacted]"`, 'config');
      config = this.secrets.seal(c, validated(this.host, c.type, merged));
    }
    const updated = await this.channels.update(tenantId, id, { name: input.name ?? undefined, enabled: input.enabled ?? undefined, config }, scope);
    await this.changed(id);
    return updated;
  }

  /** The stored config opened for an update's merge; a value that does not open stays sealed (the update must resend it). */
  private openForMerge(c: ChannelEntity): Record<string, unknown> {
    try {
      return this.secrets.open(c, c.config!);
    } catch (e) {
      if (e instanceof ChannelConfigError) return c.config!;
      throw e;
    }
  }

  async disable(tenantId: string, id: string, scope: ChannelScope = {}): Promise<ChannelEntity> {
    const c = await this.channels.update(tenantId, id, { enabled: false }, scope);
    await this.changed(id);
    return c;
  }

  /** A partner-api channel owned by the caller: a fresh secret (returned once, by the caller) and the partner's callback URL. */
  async registerPartner(tenantId: string, ownerId: string, input: { name: string; callbackUrl: string }): Promise<{ channel: ChannelEntity; secret: string }> {
    await this.assertPublicCallback(input.callbackUrl);
    const secret = newPartnerSecret();
    const channel = await this.create(tenantId, { type: 'partner-api', name: input.name, config: { secret, callbackUrl: input.callbackUrl } }, ownerId);
    return { channel, secret };
  }

  /**
   * A new signing secret for a partner-api channel (returned once). With `keepPrevious` the old one is still
   * accepted on inbound requests until the next rotation; outbound callbacks use the new one at once.
   */
  async rotatePartnerSecret(tenantId: string, id: string, keepPrevious: boolean, scope: ChannelScope = {}): Promise<{ channel: ChannelEntity; secret: string }> {
    const c = await this.channels.get(tenantId, id, scope);
    if (c.type !== 'partner-api') throw badInput('only partner-api channels have a signing secret to rotate', 'id');
    let current: Record<string, unknown>;
    try {
      current = this.secrets.open(c, c.config ?? {});
    } catch (e) {
      if (!(e instanceof ChannelConfigError)) throw e;
      // the stored secret does not open (its key is gone): a rotation still works, without keeping it
      if (keepPrevious) throw badInput(`${e.message}; rotate with keepPreviousSecret: false`, 'keepPreviousSecret');
      const { secret: _secret, previousSecret: _previous, ...rest } = c.config ?? {};
      current = rest;
    }
    const { config, secret } = rotatePartnerSecret(current as PartnerApiChannelConfig, keepPrevious);
    const channel = await this.channels.update(tenantId, id, { config: this.secrets.seal(c, validated(this.host, c.type, config)) }, scope);
    await this.changed(id);
    return { channel, secret };
  }

  /** The config as an API may show it: every secret "[redacted]" (by the plugin's schema, and whatever is sealed). */
  redactedConfig(c: ChannelEntity): Record<string, unknown> | null {
    if (!c.config) return null;
    if (!this.host.hasChannelType(c.type)) return {};
    return this.secrets.redact(this.host.redactChannelConfig(c.type, c.config) as Record<string, unknown>);
  }

  /**
   * Plugin crashes and delivery failures on every replica (the worst status, the latest error, failures added up,
   * and each replica's view); DISABLED when an admin disabled the channel or its config cannot be used here.
   */
  async health(c: ChannelEntity): Promise<Health & { replicas: ReplicaChannelHealth[] }> {
    const base: Health = { status: 'UP', lastError: null, lastErrorAt: null, failures: 0, consecutiveFailures: 0 };
    const off = (lastError: string) => ({ ...base, status: 'DISABLED' as const, lastError, replicas: [] });
    if (!c.enabled) return off('disabled by an admin');
    if (!this.host.hasChannelType(c.type)) return off(`no plugin provides channel type ${c.type}`);
    try {
      if (!this.bindings.bind(c)) return off('no config');
    } catch (e) {
      return off((e as Error).message);
    }
    // A plugin serves every tenant: another tenant's crash shows as such, without its message (healthSeenBy).
    const replicas = (await this.board.channel(c.id, this.host.pluginOf(c.type))).map((r) => ({ ...healthSeenBy(r, c.tenantId), replica: r.replica, reportedAt: r.reportedAt }));
    return { ...replicas.reduce<Health>((a, b) => worst(a, b), base), replicas };
  }
}
