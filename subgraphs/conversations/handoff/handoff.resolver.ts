import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Agent } from '../agent/agent.type.js';
import type { ConversationsContext } from '../conversations.context.js';
import { Conversation } from '../conversation/conversation.type.js';
import type { HandoffSummaryEntity } from './handoff.entity.js';
import { CustomerMood, HandoffSummary } from './handoff.type.js';

@Resolver(() => HandoffSummary)
export class HandoffSummaryResolver {
  @FieldResolver(() => [String], { description: 'Channel types in the order the customer used them.' })
  channels(@Root() h: HandoffSummaryEntity) {
    return h.summary.channels;
  }

  @FieldResolver(() => Date, { nullable: true, description: 'Since when (the first message summarised).' })
  since(@Root() h: HandoffSummaryEntity) {
    return h.summary.since ? new Date(h.summary.since) : null;
  }

  @FieldResolver(() => [String], { description: 'What the customer wanted, in their words.' })
  wanted(@Root() h: HandoffSummaryEntity) {
    return h.summary.wanted;
  }

  @FieldResolver(() => [String], { description: 'Order ids mentioned (Taobao tids and others).' })
  orderIds(@Root() h: HandoffSummaryEntity) {
    return h.summary.orderIds;
  }

  @FieldResolver(() => [String], { description: 'What agents (or the bot) promised.' })
  promised(@Root() h: HandoffSummaryEntity) {
    return h.summary.promised;
  }

  @FieldResolver(() => [String], { description: 'Asks nobody has answered yet.' })
  open(@Root() h: HandoffSummaryEntity) {
    return h.summary.open;
  }

  @FieldResolver(() => CustomerMood)
  mood(@Root() h: HandoffSummaryEntity) {
    return h.summary.mood;
  }

  @FieldResolver(() => String, { description: 'All of it as one paragraph.' })
  text(@Root() h: HandoffSummaryEntity) {
    return h.summary.text;
  }

  @FieldResolver(() => Agent, { nullable: true, description: 'The agent it was written for; null while the conversation waits in the queue.' })
  agent(@Root() h: HandoffSummaryEntity, @Ctx() ctx: ConversationsContext) {
    return h.agentId ? ctx.loaders.agentById.load(h.agentId) : null;
  }

  @FieldResolver(() => Conversation)
  conversation(@Root() h: HandoffSummaryEntity, @Ctx() ctx: ConversationsContext) {
    return ctx.loaders.conversationById.load(h.conversationId);
  }
}
