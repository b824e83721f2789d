// Shared by every subgraph's subscriptions.
export { subscribeGuarded } from '../../_shared/live.js';
