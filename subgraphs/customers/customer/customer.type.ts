import { ArrayMaxSize, IsIn, IsOptional, IsUUID, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { Directive, Field, ID, InputType, ObjectType } from 'type-graphql';
import { PageInfo } from '../../_shared/pagination.js';

export const CUSTOMER_LEVELS = ['NORMAL', 'VIP', 'SVIP'] as const;
const CHANNEL_TYPE = /^[a-z][a-z0-9-]{1,39}$/;

@ObjectType({ description: 'One account of the customer on one channel (an OpenID, a buyer nick, a phone...).' })
export class ChannelIdentity {
  @Field(() => ID) id: string;
  @Field({ description: 'The channel it was first seen on: wechat-oa, wechat-mini, wecom-kf, douyin, taobao, weibo, app, web, phone, store...' })
  channelType: string;
  @Field({
    description:
      'What the id is: wechat-openid, wechat-unionid, wecom-external, douyin-openid, taobao-buyer, weibo, app-user, web-visitor, phone (or the channel type for other channels).',
  })
  kind: string;
  // appId and externalId are field resolvers (a phone is shown masked unless the viewer may see it in full)
  @Field() createdAt: Date;
}

@ObjectType({ description: 'A person who buys from the brand, across every channel.' })
@Directive('@key(fields: "id")')
export class Customer {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field({ description: 'NORMAL, VIP or SVIP' }) level: string;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
  // tags, identities, phone, address and mergedInto are field resolvers (batched, or masked by role)
}

@ObjectType()
export class CustomerPage {
  @Field(() => [Customer]) nodes: Customer[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@InputType()
export class ChannelIdentityInput {
  @Field() @Matches(CHANNEL_TYPE, { message: 'must be a channel type like wechat-oa' }) channelType: string;
  @Field() @Length(1, 191) externalId: string;
  @Field({ nullable: true, description: 'The app id of app-scoped ids (WeChat OpenID, Douyin open id, Taobao open_uid, WeCom corp).' })
  @IsOptional() @Length(1, 64) appId?: string;
}

@InputType()
export class CreateCustomerInput {
  @Field() @Length(1, 200) name: string;
  @Field({ nullable: true }) @IsOptional() @IsIn(CUSTOMER_LEVELS as unknown as string[]) level?: string;
  @Field(() => [ChannelIdentityInput], { nullable: true })
  @IsOptional() @ArrayMaxSize(20) @ValidateNested({ each: true })
  identities?: ChannelIdentityInput[];
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(50) @Length(1, 64, { each: true }) tags?: string[];
  @Field({ nullable: true, description: 'A profile phone number (not a proof of identity); stored encrypted.' }) @IsOptional() @Length(3, 32) phone?: string;
  @Field({ nullable: true, description: 'Stored encrypted.' }) @IsOptional() @Length(1, 500) address?: string;
}

@InputType()
export class UpdateCustomerInput {
  @Field(() => ID) @IsUUID() id: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 200) name?: string;
  @Field({ nullable: true }) @IsOptional() @IsIn(CUSTOMER_LEVELS as unknown as string[]) level?: string;
  @Field({ nullable: true, description: 'An empty string clears it.' }) @IsOptional() @MaxLength(32) phone?: string;
  @Field({ nullable: true, description: 'An empty string clears it.' }) @IsOptional() @MaxLength(500) address?: string;
}

@InputType()
export class TagCustomerInput {
  @Field(() => ID) @IsUUID() customerId: string;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(50) @Length(1, 64, { each: true }) add?: string[];
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(50) @Length(1, 64, { each: true }) remove?: string[];
}

@InputType()
export class LinkChannelIdentityInput {
  @Field(() => ID) @IsUUID() customerId: string;
  @Field() @Matches(CHANNEL_TYPE, { message: 'must be a channel type like wechat-oa' }) channelType: string;
  @Field() @Length(1, 191) externalId: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 64) appId?: string;
}

@ObjectType()
export class CustomerPayload {
  @Field(() => Customer) customer: Customer;
}
