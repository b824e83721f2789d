import { IsBoolean, IsOptional, Length, Matches } from 'class-validator';
import { Directive, Field, ID, InputType, ObjectType } from 'type-graphql';

export const CHANNEL_TYPE = /^[a-z][a-z0-9-]{1,39}$/;
export const CHANNEL_TYPE_MESSAGE = 'must be a channel type like wechat-oa';

@ObjectType({ description: 'A place customers reach the brand: a WeChat OA, a Taobao shop, the app...' })
@Directive('@key(fields: "id")')
export class Channel {
  @Field(() => ID) id: string;
  @Field({ description: 'wechat-oa, wechat-mini, wecom-kf, douyin, taobao, weibo, app, web, phone, store' }) type: string;
  @Field() name: string;
  @Field() enabled: boolean;
  @Field() createdAt: Date;
}

@InputType()
export class CreateChannelInput {
  @Field() @Matches(CHANNEL_TYPE, { message: CHANNEL_TYPE_MESSAGE }) type: string;
  @Field() @Length(1, 200) name: string;
  @Field({ nullable: true }) @IsOptional() @IsBoolean() enabled?: boolean;
}

@ObjectType()
export class ChannelPayload {
  @Field(() => Channel) channel: Channel;
}
