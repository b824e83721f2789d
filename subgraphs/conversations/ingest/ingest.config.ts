import type { PluginList } from '../../../plugins/host/index.js';

/** Channel ingest and delivery settings (from the conversations deployable's env; see loadConversationsConfig). */
export interface IngestConfig {
  /** Which channel plugins load (default: every built-in). */
  plugins?: PluginList;
  /** The customers subgraph's GraphQL URL, for resolveIdentity; without it inbound payloads fail (and are kept). */
  customersUrl?: string;
  /** Signs the short-lived service token for customers (the shared JWT secret). */
  jwtSecret: string;
  /** Public base of webhook URLs shown to admins (the gateway's address). */
  publicBaseUrl: string;
  /** How often the sweeper looks for stored-but-unprocessed payloads and due retries/deliveries; 0 turns it off. */
  sweepIntervalMs: number;
  /** Process payloads right after acknowledging them (off only in tests that simulate a crash). */
  processInline: boolean;
  /**
   * `all`: acknowledge webhooks and process payloads here. `receive`: acknowledge and store only, and hand the
   * stored payloads to the `all` replicas over the event bus (one of them takes each batch), so a burst of
   * webhooks never waits behind message processing (INGEST_ROLE).
   */
  role?: 'all' | 'receive';
  /**
   * INGEST_RETENTION_DAYS: processed payloads (the raw request kept for audit and replays) are deleted after this
   * many days; failed ones stay until replayed. 0 keeps them forever. Default DEFAULT_RETENTION_DAYS.
   */
  retentionDays?: number;
  /** Attempts before a failed payload or delivery waits for a manual replay. */
  maxAttempts: number;
  /** Payloads claimed per batch; two batches are processed at once per process (the rest wait in the queue). */
  concurrency: number;
  /**
   * Role `all`: when acknowledgements take longer than this (or the event loop lags that much), processing on
   * the replica shrinks its batches and then pauses between them (processing.pace.ts). 0 turns pacing off.
   */
  ackTargetMs?: number;
  /**
   * Group commit window of the acknowledgement path (INGEST_GROUP_COMMIT_MS): at most one INSERT of stored
   * payloads starts per window, carrying every webhook that arrived in it (payload.writer.ts). 0: none.
   */
  groupCommitMs?: number;
  /**
   * INGEST_BATCH_WAIT_MS: while a batch runs, payloads that do not make a full batch wait for it to end and go in
   * the next one, at most this long; then a second batch starts beside it (a slow batch, e.g. a sender's resolution
   * timing out, must not hold everyone else's messages). Default DEFAULT_BATCH_WAIT_MS.
   */
  batchWaitMs?: number;
  /** First retry delay; doubles up to 5 minutes. */
  retryBaseMs: number;
  /** Pull channels (Taobao TMC...): pause between polls of a channel (default 5000; 0 turns polling off). See pull.poller.ts. */
  pullIntervalMs?: number;
  /**
   * CHANNEL_PLUGIN_DISABLE_AFTER: crashes in a row (a plugin throwing instead of a ChannelError, or answering
   * the wrong shape) after which a plugin's channels are disabled on this replica, until `POST /plugins/:id/enable`
   * or a restart. Default 1.
   */
  pluginDisableAfter?: number;
  /**
   * The plugins' HTTP client refuses loopback, private and link-local addresses (CHANNEL_HTTP_BLOCK_PRIVATE;
   * default: in production): a partner registers its own callback URL, which must not reach internal services.
   */
  blockPrivateAddresses?: boolean;
  /** This replica's name in the channels' health (REPLICA_ID; default host/pid). */
  replicaId?: string;
  /** Longest pause after repeated pull failures (default 5 min). */
  pullMaxBackoffMs?: number;
  /** A replica's lease on a pull channel (default 60 s; renewed before each batch). */
  pullLockTtlMs?: number;
  /** Batches pulled back to back while more are waiting (default 10). */
  pullMaxBatches?: number;
  /** AES-256-GCM keys for channel secrets at rest (CHANNEL_SECRET_KEYS, else PII_KEYS): key id → key, and the active one. */
  secretKeys: { keys: ReadonlyMap<string, Buffer>; activeKeyId: string };
}

/**
 * INGEST_GROUP_COMMIT_MS's default. In bench:ingest's receive-only topology at a steady 1,100 webhooks/s, 3 ms took
 * INSERTs from 0.57–0.70 to 0.25 per delivery, the receiver's CPU from 662–671 to 515–538 µs and MariaDB's from 262 to
 * 187–200 µs per delivery, and p99 from 30–36 to 19 ms; p50 rose 2 ms (docs/channels.md).
 */
export const DEFAULT_GROUP_COMMIT_MS = 3;

/**
 * INGEST_BATCH_WAIT_MS's default: a delay no agent notices, far above a batch's usual 5–15 ms at 1,000 messages/s,
 * so that under load a batch's arrivals do wait for it (docs/channels.md).
 */
export const DEFAULT_BATCH_WAIT_MS = 100;

/**
 * INGEST_RETENTION_DAYS's default: a month of raw requests to look into after a complaint or a platform's
 * dispute, which the messages outlive.
 */
export const DEFAULT_RETENTION_DAYS = 30;

/** INGEST_ACK_TARGET_MS's default. */
export const DEFAULT_ACK_TARGET_MS = 20;

// A fixed development key so that `npm start` and the tests need no setup; production refuses it.
export const DEV_CHANNEL_SECRET_KEYS = `dev1:${Buffer.from('huiliu-dev-channel-secret-key-32', 'utf8').toString('base64')}`;

export const DEFAULT_INGEST_CONFIG: IngestConfig = {
  jwtSecret: 'huiliu-dev-secret-change-me',
  publicBaseUrl: 'http://localhost:4000',
  sweepIntervalMs: 2000,
  processInline: true,
  maxAttempts: 8,
  concurrency: 32,
  retryBaseMs: 1000,
  secretKeys: { keys: new Map([['dev1', Buffer.from('huiliu-dev-channel-secret-key-32', 'utf8')]]), activeKeyId: 'dev1' },
};
