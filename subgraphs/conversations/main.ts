import { runMain } from '../_shared/subgraph-main.js';
import { loadConversationsConfig, type ConversationsConfig } from './conversations.config.js';
import { createConversationsServices } from './conversations.services.js';
import { conversationsSubgraph } from './index.js';

/** The conversations deployable's own settings (reopen window, summarizer provider), read once here. */
function conversationsConfig(): ConversationsConfig {
  try {
    return loadConversationsConfig(process.env);
  } catch (err) {
    // Config errors are expected operator mistakes: print the message, not a stack.
    console.error(err instanceof Error && err.name === 'ConfigError' ? err.message : err);
    process.exit(1);
  }
}

const config = conversationsConfig();
runMain({ ...conversationsSubgraph, createServices: (deps) => createConversationsServices(deps, config) });
