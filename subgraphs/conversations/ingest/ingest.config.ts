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
  /** Attempts before a failed payload or delivery waits for a manual replay. */
  maxAttempts: number;
  /** Payloads processed at once in this process (the rest wait in the queue; acknowledging is never held up). */
  concurrency: number;
  /** First retry delay; doubles up to 5 minutes. */
  retryBaseMs: number;
}

export const DEFAULT_INGEST_CONFIG: IngestConfig = {
  jwtSecret: 'huiliu-dev-secret-change-me',
  publicBaseUrl: 'http://localhost:4000',
  sweepIntervalMs: 2000,
  processInline: true,
  maxAttempts: 8,
  concurrency: 8,
  retryBaseMs: 1000,
};
