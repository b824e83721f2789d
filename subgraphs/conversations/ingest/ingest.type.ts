import { IsInt, IsOptional, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MAX_REPLAY } from './ingest.admin.js';
import { InboundPayloadStatus } from './payload.entity.js';

export { InboundPayloadStatus };
registerEnumType(InboundPayloadStatus, { name: 'InboundPayloadStatus' });

@ObjectType({ description: 'One inbound message as stored before its webhook was answered; failed ones keep their error and can be replayed.' })
export class InboundPayload {
  @Field(() => ID) id: string;
  @Field(() => ID) channelId: string;
  @Field() channelType: string;
  @Field({ description: "The platform's dedupe key (MsgId, Msg-Id...): redeliveries collapse on it." }) dedupeKey: string;
  @Field(() => String, { nullable: true }) externalMessageId: string | null;
  @Field(() => InboundPayloadStatus) status: InboundPayloadStatus;
  @Field(() => Int) attempts: number;
  @Field(() => String, { nullable: true }) errorCode: string | null;
  @Field(() => String, { nullable: true }) error: string | null;
  @Field(() => ID, { nullable: true, description: 'The message it became.' }) messageId: string | null;
  @Field() receivedAt: Date;
  @Field(() => Date, { nullable: true, description: 'When it is retried next (null when it waits for a replay).' }) nextAttemptAt: Date | null;
  @Field(() => Date, { nullable: true }) processedAt: Date | null;
  @Field(() => GraphQLJSONObject, { nullable: true, description: "The event as the channel's plugin parsed it (decrypted; dates as ISO strings). Null when the plugin failed to parse the request: see `request`." })
  event: Record<string, unknown> | null;
}

@ObjectType({ description: 'The webhook request as it arrived (kept until INGEST_RETENTION_DAYS after processing), to see what a failed payload held.' })
export class InboundPayloadRequest {
  @Field() method: string;
  @Field() path: string;
  @Field(() => GraphQLJSONObject) query: Record<string, string>;
  @Field(() => GraphQLJSONObject, { description: 'Without cookie and authorization headers.' }) headers: Record<string, string>;
  @Field(() => String, { nullable: true, description: 'The body, when it is UTF-8 text (WeChat safe mode: still encrypted; `event` holds it decrypted).' }) body: string | null;
  @Field(() => String, { nullable: true, description: 'A body that is not UTF-8 text, in base64.' }) bodyBase64: string | null;
}

@InputType()
export class ReplayInboundPayloadInput {
  @Field(() => ID) @IsUUID() id: string;
}

@ObjectType()
export class ReplayInboundPayloadPayload {
  @Field(() => InboundPayload) payload: InboundPayload;
}

@InputType({ description: 'Which FAILED payloads to hand back to processing (all of the tenant when nothing is given).' })
export class ReplayInboundPayloadsInput {
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() channelId?: string;
  @Field(() => String, { nullable: true, description: 'Only those that failed with this code (as inboundPayloads shows it), e.g. PLUGIN_FAILED.' }) @IsOptional() @MaxLength(40) errorCode?: string;
  @Field(() => Int, { nullable: true, description: `At most this many, oldest first (default 1000, at most ${MAX_REPLAY}).` }) @IsOptional() @IsInt() @Min(1) @Max(MAX_REPLAY) limit?: number;
}

@ObjectType()
export class ReplayInboundPayloadsPayload {
  @Field(() => Int, { description: 'Handed back to processing by this call (PENDING now; watch inboundBacklog).' }) queued: number;
  @Field(() => Int, { description: 'Still FAILED among those the input selects: call again while this is above 0 (or they failed again).' }) remaining: number;
}

@ObjectType({ description: 'How far behind processing is: what was acknowledged and stored but is not a message yet.' })
export class InboundBacklog {
  @Field(() => Int, { description: 'Stored and waiting to be processed (PENDING), or being processed now (PROCESSING).' }) pending: number;
  @Field(() => Int, { description: 'FAILED: retried on a schedule, or waiting for a replay.' }) failed: number;
  @Field(() => Int, { description: 'FAILED with no retry left: replayInboundPayload is the way on.' }) waitingForReplay: number;
  @Field(() => Date, { nullable: true, description: 'When the oldest pending payload was received.' }) oldestPendingAt: Date | null;
  @Field(() => Float, { nullable: true, description: 'Seconds since then: how long the oldest waiting message has been waiting.' }) lagSeconds: number | null;
}
