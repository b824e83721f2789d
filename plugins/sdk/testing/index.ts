/** Test kit for channel plugins: the conformance suite, a fake platform server, a test host. */
export { runChannelConformance, type ChannelConformanceFixtures, type InboundFixture, type OutboundFailure, type PullFixtures } from './conformance.js';
export { startFakeServer, closedUrl, type FakeServer, type FakeRoutes, type FakeReply, type RecordedRequest } from './fake-server.js';
export { createTestHost, inboundRequest, MemoryConnections, type TestHost } from './harness.js';
export { FakeClock } from '../../host/clock.js';
export { MemoryKeyValueStore } from '../../host/kv.memory.js';
