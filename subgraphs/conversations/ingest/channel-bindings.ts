import type { BoundChannel, PluginHost } from '../../../plugins/host/index.js';
import type { ChannelEntity } from '../channel/channel.entity.js';
import type { ChannelSecrets } from '../channel/channel.secrets.js';

/**
 * Bound channels (secrets opened, config validated once, plugin context built once) cached per channel in this
 * process. The only place a stored config's secrets are opened for a plugin. An update in this process drops the
 * entry at once; other replicas pick it up within `ttlMs`.
 */
export class ChannelBindings {
  private readonly cache = new Map<string, { channel: ChannelEntity; bound: BoundChannel | null; until: number }>();

  constructor(readonly host: PluginHost, private readonly secrets: ChannelSecrets, private readonly ttlMs = 5000) {}

  /** The bound channel, or null when the channel has no config or its type has no plugin. Throws ChannelConfigError. */
  bind(channel: ChannelEntity): BoundChannel | null {
    const hit = this.cache.get(channel.id);
    if (hit && hit.until > Date.now() && hit.channel === channel) return hit.bound;
    const bound = channel.config && this.host.hasChannelType(channel.type)
      ? this.host.bindChannel({ id: channel.id, tenantId: channel.tenantId, type: channel.type, config: this.secrets.open(channel, channel.config) })
      : null;
    this.cache.set(channel.id, { channel, bound, until: Date.now() + this.ttlMs });
    return bound;
  }

  /** A recent row for the webhook path (saves a query per request under load). */
  cached(id: string): ChannelEntity | null {
    const hit = this.cache.get(id);
    return hit && hit.until > Date.now() ? hit.channel : null;
  }

  forget(id: string): void { this.cache.delete(id); }
}
