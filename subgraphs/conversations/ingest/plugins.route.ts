import type { PluginHost } from '../../../plugins/host/index.js';
import type { Logger } from '../../_shared/logger.js';
import { onEachMessage, type PubSub } from '../../_shared/pubsub.js';
import type { RawRoute, Worker } from '../../_shared/subgraph-module.js';
import type { ChannelHealthBoard } from '../channel/channel.health-board.js';

/** Pub/sub topic: an operator re-enabled a plugin; every replica resets its health. */
export const PLUGIN_ENABLE_TOPIC = 'conversations.plugin.enable';

const json = (res: Parameters<RawRoute>[1], status: number, body: unknown) =>
  void res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));

/**
 * The operator's view of the channel plugins, on this deployable's internal port only (the gateway forwards
 * /graphql and /webhooks/*, not this; like /metrics). Plugins serve every tenant, so this is no tenant's API.
 *   GET  /plugins              this replica's plugins and their health (a crashed one is DISABLED, with its error),
 *                              and under `replicas` every live replica's (reported every 10 s)
 *   POST /plugins/:id/enable   turns a disabled plugin back on, on every replica (after a fix, or a one-off crash)
 */
export function pluginsRoute(host: PluginHost, board: ChannelHealthBoard, pubsub: PubSub, log: Logger): RawRoute {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const enable = /^\/plugins\/([^/]+)\/enable$/.exec(path);
    if (path !== '/plugins' && !enable) return false;
    const method = enable ? 'POST' : 'GET';
    if (req.method !== method) {
      res.writeHead(405, { allow: method }).end();
      return true;
    }
    if (!enable) {
      void board.reports().then((reports) => json(res, 200, {
        replica: board.replica,
        plugins: host.plugins(),
        replicas: reports.map((r) => ({ replica: r.replica, reportedAt: new Date(r.at), plugins: Object.entries(r.plugins).map(([id, health]) => ({ id, health })) })),
      }));
      return true;
    }
    const id = enable[1]; // plugin ids are plain names: nothing to decode (a bad %-escape must not throw)
    const plugin = host.plugins().find((p) => p.id === id);
    if (!plugin) {
      json(res, 404, { error: { code: 'NOT_FOUND', message: `no plugin ${id.slice(0, 100)} is loaded` } });
      return true;
    }
    host.enablePlugin(id);
    log.warn({ plugin: id, was: plugin.health.status }, 'plugin enabled by an operator');
    pubsub.publish(PLUGIN_ENABLE_TOPIC, { id }).catch((err) => log.warn({ err, plugin: id }, 'plugin enable not announced to the other replicas'));
    json(res, 200, { plugin: host.plugins().find((p) => p.id === id) });
    return true;
  };
}

/** Every replica resets the health of a plugin that an operator re-enabled on any of them. */
export function startPluginEnableListener(pubsub: PubSub, enable: (id: string) => void): Worker {
  return onEachMessage<{ id?: unknown }>(pubsub, PLUGIN_ENABLE_TOPIC, (m) => {
    if (typeof m?.id === 'string') enable(m.id);
  });
}
