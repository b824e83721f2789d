import { newPartnerSecret } from '../../../plugins/channel-partner-api/index.js';
import { ChannelConfigError, UnknownChannelTypeError, type Health, type PluginHost } from '../../../plugins/host/index.js';
import { badInput } from '../../_shared/errors.js';
import type { ChannelBindings } from '../ingest/channel-bindings.js';
import type { ChannelEntity } from './channel.entity.js';
import type { ChannelService } from './channel.service.js';

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
 * Channels as admins manage them: configs validated by the type's plugin, secrets redacted on the way out and
 * kept when an update echoes "[redacted]", webhook URLs, health. Configs are stored as given (no shared
 * encryption helper exists yet; see docs/channels.md).
 */
export class ChannelAdminService {
  constructor(private readonly channels: ChannelService, private readonly bindings: ChannelBindings, private readonly publicBaseUrl: string) {}

  get host(): PluginHost { return this.bindings.host; }

  webhookUrl(c: Pick<ChannelEntity, 'id'>): string {
    return `${this.publicBaseUrl.replace(/\/+$/, '')}/webhooks/${c.id}`;
  }

  /** A config is validated when given; without one the channel is a plain registry entry (no webhook, no sends). */
  async create(tenantId: string, input: { type: string; name: string; enabled?: boolean | null; config?: Record<string, unknown> | null }): Promise<ChannelEntity> {
    const config = input.config != null ? validated(this.host, input.type, input.config) : null;
    return this.channels.create(tenantId, { type: input.type, name: input.name, enabled: input.enabled, config });
  }

  async update(tenantId: string, id: string, input: { name?: string | null; enabled?: boolean | null; config?: Record<string, unknown> | null }): Promise<ChannelEntity> {
    const c = await this.channels.get(tenantId, id);
    let config: Record<string, unknown> | undefined;
    if (input.config != null) {
      if (!this.host.hasChannelType(c.type)) throw badInput(`no plugin provides channel type "${c.type}"`, 'config');
      const merged = c.config ? this.host.mergeChannelConfig(c.type, c.config, input.config) : input.config;
      config = validated(this.host, c.type, merged);
    }
    const updated = await this.channels.update(tenantId, id, { name: input.name ?? undefined, enabled: input.enabled ?? undefined, config });
    this.bindings.forget(id);
    return updated;
  }

  async disable(tenantId: string, id: string): Promise<ChannelEntity> {
    const c = await this.channels.update(tenantId, id, { enabled: false });
    this.bindings.forget(id);
    return c;
  }

  /** A partner-api channel: a fresh secret (returned once, by the caller) and the partner's callback URL. */
  async registerPartner(tenantId: string, input: { name: string; callbackUrl: string }): Promise<{ channel: ChannelEntity; secret: string }> {
    const secret = newPartnerSecret();
    const channel = await this.create(tenantId, { type: 'partner-api', name: input.name, config: { secret, callbackUrl: input.callbackUrl } });
    return { channel, secret };
  }

  redactedConfig(c: ChannelEntity): Record<string, unknown> | null {
    if (!c.config) return null;
    if (!this.host.hasChannelType(c.type)) return {};
    return this.host.redactChannelConfig(c.type, c.config) as Record<string, unknown>;
  }

  /** This process's view: plugin crashes and delivery failures; DISABLED when an admin disabled the channel. */
  health(c: ChannelEntity): Health & { reason?: string } {
    const base: Health = { status: 'UP', lastError: null, lastErrorAt: null, failures: 0, consecutiveFailures: 0 };
    if (!c.enabled) return { ...base, status: 'DISABLED', lastError: 'disabled by an admin' };
    if (!this.host.hasChannelType(c.type)) return { ...base, status: 'DISABLED', lastError: `no plugin provides channel type ${c.type}` };
    try {
      const bound = this.bindings.bind(c);
      return bound ? bound.health() : { ...base, status: 'DISABLED', lastError: 'no config' };
    } catch (e) {
      return { ...base, status: 'DISABLED', lastError: (e as Error).message };
    }
  }
}
