/**
 * The largest webhook body anything reads. The conversations subgraph reads and throws away a body declared too
 * large for its channel but at most this size before its 413, so the answer reaches the caller: the gateway's
 * proxy writes the whole body before it reads an answer, and a connection closed under that write made it a 502
 * (which the platform retries). Larger bodies the gateway refuses itself, as the subgraph would.
 */
export const DRAIN_OVERSIZED_BYTES = 16 * 1024 * 1024;
