import { closeLeftoverSubgraphs } from './subgraph-harness.js';

// After every integration and e2e test file: close what a failed test left running (see subgraph-harness.ts).
afterAll(() => closeLeftoverSubgraphs());
