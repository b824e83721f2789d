import { IsBoolean, IsOptional, IsUrl, IsUUID, Length, Matches } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

export const CHANNEL_TYPE = /^[a-z][a-z0-9-]{1,39}$/;
export const CHANNEL_TYPE_MESSAGE = 'must be a channel type like wechat-oa';

export enum ChannelHealthStatus { UP = 'UP', DEGRADED = 'DEGRADED', DISABLED = 'DISABLED' }
registerEnumType(ChannelHealthStatus, { name: 'ChannelHealthStatus' });

@ObjectType({ description: "One replica's view of a channel: its plugin's crashes and the channel's delivery failures there." })
export class ReplicaChannelHealth {
  @Field({ description: 'The conversations replica (REPLICA_ID, else host/pid).' }) replica: string;
  @Field(() => ChannelHealthStatus) status: ChannelHealthStatus;
  @Field(() => String, { nullable: true }) lastError: string | null;
  @Field(() => Date, { nullable: true }) lastErrorAt: Date | null;
  @Field(() => Int, { description: 'Failures since that replica started.' }) failures: number;
  @Field(() => Int) consecutiveFailures: number;
  @Field({ description: 'When the replica reported it (every 10 s; the replica answering reports live).' }) reportedAt: Date;
}

@ObjectType({ description: "A channel's health over every replica: plugin crashes and delivery failures. The worst status, the latest error, failures added up; each replica's view in `replicas`." })
export class ChannelHealth {
  @Field(() => ChannelHealthStatus) status: ChannelHealthStatus;
  @Field(() => String, { nullable: true }) lastError: string | null;
  @Field(() => Date, { nullable: true }) lastErrorAt: Date | null;
  @Field(() => Int) failures: number;
  @Field(() => Int) consecutiveFailures: number;
  @Field(() => [ReplicaChannelHealth], { description: 'Each live replica (reported in the last 30 s); admins only. Empty when the channel is disabled or cannot be bound, and for other roles.' }) replicas: ReplicaChannelHealth[];
}

@ObjectType({ description: "A webhook of the channel that was refused: what its platform was answered, and why." })
export class WebhookRefusal {
  @Field() at: Date;
  @Field(() => Int, { description: 'The HTTP status answered (401 signature, 403 disabled, 400 malformed, 413 too large, 503 not configured...).' }) status: number;
  @Field({ description: 'A stable code: AUTH, BAD_REQUEST, CHANNEL_DISABLED, TOO_LARGE, NOT_CONFIGURED...' }) code: string;
  @Field() reason: string;
}

@ObjectType({ description: "The channel's webhook traffic, all replicas together: where to look first when its messages stop arriving." })
export class ChannelTraffic {
  @Field(() => Date, { nullable: true, description: 'When a webhook was last accepted (to within 10 s; null: none in 30 days).' }) lastAcceptedAt: Date | null;
  @Field(() => WebhookRefusal, { nullable: true, description: 'The last refused webhook (null: none in 30 days). Refused webhooks are never stored, so this is where they show.' }) lastRefusal: WebhookRefusal | null;
}

@ObjectType({ description: 'A place customers reach the brand: a WeChat OA, a Taobao shop, the app...' })
@Directive('@key(fields: "id")')
export class Channel {
  @Field(() => ID) id: string;
  @Field({ description: 'wechat-oa, wechat-mini, wecom-kf, douyin, taobao, weibo, app, web, phone, store, partner-api' }) type: string;
  @Field() name: string;
  @Field() enabled: boolean;
  @Field() createdAt: Date;
  @Field(() => ID, { nullable: true, description: 'The partner (token `sub`) that registered it; a partner reaches only its own channels. Null for channels admins created.' })
  ownerId: string | null;
  // config and traffic (admins and the owning partner), webhookUrl and health are field resolvers
}

@InputType()
export class CreateChannelInput {
  @Field() @Matches(CHANNEL_TYPE, { message: CHANNEL_TYPE_MESSAGE }) type: string;
  @Field() @Length(1, 200) name: string;
  @Field({ nullable: true }) @IsOptional() @IsBoolean() enabled?: boolean;
  @Field(() => GraphQLJSONObject, { nullable: true, description: "The platform's settings with its own names (wechat-oa: appId, appSecret, token, encodingAESKey), checked by the channel's plugin." })
  @IsOptional() config?: Record<string, unknown> | null;
}

@InputType()
export class UpdateChannelInput {
  @Field(() => ID) @IsUUID() id: string;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 200) name?: string | null;
  @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() enabled?: boolean | null;
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The whole config; a secret given as "[redacted]" keeps its stored value.' })
  @IsOptional() config?: Record<string, unknown> | null;
}

@InputType()
export class DisableChannelInput {
  @Field(() => ID) @IsUUID() id: string;
}

@InputType()
export class RegisterPartnerChannelInput {
  @Field() @Length(1, 200) name: string;
  @Field({ description: 'Where Huiliu POSTs outbound messages, signed like the webhook.' })
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true }) @Length(1, 1000) callbackUrl: string;
}

@InputType()
export class RotatePartnerChannelSecretInput {
  @Field(() => ID) @IsUUID() id: string;
  @Field({ defaultValue: true, description: 'Keep accepting the current secret on inbound requests until the next rotation (the partner switches over without losing messages). Outbound callbacks are signed with the new secret at once.' })
  @IsBoolean() keepPreviousSecret: boolean;
}

@ObjectType()
export class ChannelPayload {
  @Field(() => Channel) channel: Channel;
  @Field({ description: 'Where the platform posts its messages (set it in the platform console).' }) webhookUrl: string;
}

@ObjectType()
export class RegisterPartnerChannelPayload {
  @Field(() => Channel) channel: Channel;
  @Field() webhookUrl: string;
  @Field({ description: 'Signs both directions (HMAC-SHA256 of timestamp + "." + body). Shown once: store it now.' }) secret: string;
}

@ObjectType()
export class RotatePartnerChannelSecretPayload {
  @Field(() => Channel) channel: Channel;
  @Field({ description: 'The new signing secret (HMAC-SHA256 of timestamp + "." + body), shown this once.' }) secret: string;
}
