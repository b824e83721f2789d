import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { buildFederatedSchema } from '../_shared/build-subgraph.js';
import { customersSubgraph } from '../customers/index.js';
import { conversationsSubgraph } from './index.js';

describe('conversations subgraph schema', () => {
  it('keys its entities, extends Customer by key, and composes with the customers subgraph', async () => {
    const conversations = await buildFederatedSchema(conversationsSubgraph.definition);
    for (const type of ['Conversation', 'Message', 'Agent', 'AgentGroup', 'Channel', 'Customer']) {
      expect(conversations.sdl).toContain(`type ${type} @key(fields: "id")`);
    }
    expect(conversations.sdl).toMatch(/messageAdded\(conversationId: ID!\): Message!/);
    expect(conversations.sdl).toMatch(/conversationUpdated: Conversation!/);
    expect(conversations.sdl).toMatch(/type Customer @key\(fields: "id"\) \{\s+id: ID!\s+"""[^"]+"""\s+conversations\((after: String, first: Int|first: Int, after: String)\): ConversationPage!/);
    // issue 5: timeline, context, lifecycle log, handoff summaries, live activity
    expect(conversations.sdl).toMatch(/timeline\([\s\S]*?first: Int[\s\S]*?after: String[\s\S]*?channels: \[String!\][\s\S]*?newestFirst: Boolean\s*\): TimelinePage!/);
    expect(conversations.sdl).toContain('union TimelineEntry = Message | ConversationEvent');
    expect(conversations.sdl).toMatch(/context: ConversationContext!/);
    for (const type of ['ConversationEvent', 'HandoffSummary']) expect(conversations.sdl).toContain(`type ${type} @key(fields: "id")`);
    expect(conversations.sdl).toMatch(/conversationEvents\(conversationId: ID!\): ConversationActivity!/);
    expect(conversations.sdl).toMatch(/customerEvents\(customerId: ID!\): ConversationActivity!/);
    expect(conversations.sdl).toMatch(/myConversations: ConversationActivity!/);
    const customers = await buildFederatedSchema(customersSubgraph.definition);
    const result = composeServices([
      { name: 'customers', typeDefs: parse(customers.sdl), url: 'http://customers/graphql' },
      { name: 'conversations', typeDefs: parse(conversations.sdl), url: 'http://conversations/graphql' },
    ]);
    expect(result.errors ?? []).toEqual([]);
    const supergraph = (result as { supergraphSdl: string }).supergraphSdl;
    expect(supergraph).toMatch(/type Customer[^{]*@join__type\(graph: CONVERSATIONS, key: "id"\)/);
    expect(supergraph).toMatch(/type Subscription[^{]*\{[^}]*messageAdded/);
  });
});
