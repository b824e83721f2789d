import type { HostCapability } from './context.js';

/**
 * The SDK version plugins compile against. The host refuses a plugin whose apiVersion has another major, or a
 * newer minor. 1.1: pull channels (`ChannelAdapter.pull`, `pullEnabled`, `capabilities.pull`). 1.2: a client's
 * missed messages (`ChannelAdapter.history`) and an agent's typing (`ChannelAdapter.typing`). 1.3–1.5: see
 * docs/plugins.md. 1.6: items `receive` could not read (`ReceiveResult.failed`) are kept for a replay. 1.7: an
 * outbound message's `part` (the host sends a message's text and each attachment separately). 1.8: `send`'s
 * `problem` (a side step failed while the message went: shown in the channel's health).
 */
export const SDK_API_VERSION = '1.8.0';

export type PluginKind = 'channel' | 'ai';

export interface PluginManifest {
  /** Unique plugin id: `channel-wechat-oa`, `acme-line`... */
  id: string;
  kind: PluginKind;
  /** The plugin's own version (semver). */
  version: string;
  /** The SDK version it was written against (semver), usually SDK_API_VERSION. */
  apiVersion: string;
  /** Host services it uses: `http`, `kv`, `connections`. */
  capabilities: HostCapability[];
  description?: string;
}

export const PLUGIN_ID = /^[a-z0-9][a-z0-9._-]{1,63}$/;
export const CHANNEL_TYPE = /^[a-z][a-z0-9-]{1,39}$/;
const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.-]+)?$/;

export function parseSemver(v: string): { major: number; minor: number; patch: number } | null {
  const m = SEMVER.exec(v);
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : null;
}
