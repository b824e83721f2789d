import type { ConfigIssue } from '../sdk/config.js';
import { formatIssues } from '../sdk/config.js';

/** A plugin cannot be loaded; the boot stops with a message naming the plugin and the problem. */
export class PluginBootError extends Error {
  constructor(public readonly plugin: string, public readonly problem: string) {
    super(`Plugin "${plugin}": ${problem}`);
    this.name = 'PluginBootError';
  }
}

/** A channel's config does not match its adapter's schema (issues never include the values). */
export class ChannelConfigError extends Error {
  readonly code = 'BAD_CHANNEL_CONFIG';
  constructor(public readonly channelType: string, public readonly issues: ConfigIssue[]) {
    super(`Invalid ${channelType} channel config: ${formatIssues(issues)}`);
    this.name = 'ChannelConfigError';
  }
}

export class UnknownChannelTypeError extends Error {
  readonly code = 'UNKNOWN_CHANNEL_TYPE';
  constructor(public readonly channelType: string, known: string[]) {
    super(`No plugin provides channel type "${channelType}" (loaded: ${known.join(', ') || 'none'})`);
    this.name = 'UnknownChannelTypeError';
  }
}

/**
 * A plugin threw something other than a ChannelError, or returned something malformed: a bug in the
 * plugin. Its channels are disabled (see PluginHostOptions.disableAfter); an accepted payload should be
 * kept for replay once the plugin is fixed.
 */
export class PluginCrashError extends Error {
  readonly code = 'PLUGIN_FAILED';
  constructor(public readonly pluginId: string, public readonly channelType: string, public readonly operation: string, detail: string, public readonly disabled: boolean, cause?: unknown) {
    super(`Plugin ${pluginId} failed in ${channelType}.${operation}: ${detail}${disabled ? ' (its channels are now disabled)' : ''}`, cause === undefined ? undefined : { cause });
    this.name = 'PluginCrashError';
  }
}

/** The channel's plugin is disabled after a failure; the webhook answers 503 so the platform retries later. */
export class ChannelDisabledError extends Error {
  readonly code = 'CHANNEL_DISABLED';
  constructor(public readonly pluginId: string, public readonly channelType: string, public readonly reason: string | null) {
    super(`Channel type ${channelType} is disabled (plugin ${pluginId}${reason ? `: ${reason}` : ''})`);
    this.name = 'ChannelDisabledError';
  }
}
