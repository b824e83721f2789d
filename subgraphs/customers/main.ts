import { runMain } from '../_shared/subgraph-main.js';
import { loadCustomersConfig, type CustomersConfig } from './config.js';
import { createCustomersSubgraph } from './index.js';

/** The customers deployable's own settings (PII keys), read once here; the shared ones are read by runMain. */
function customersConfig(): CustomersConfig {
  try {
    return loadCustomersConfig(process.env);
  } catch (err) {
    // Config errors are expected operator mistakes: print the message, not a stack.
    console.error(err instanceof Error && err.name === 'ConfigError' ? err.message : err);
    process.exit(1);
  }
}

runMain(createCustomersSubgraph(customersConfig()));
