import { ArrayMaxSize, IsIn, IsOptional, IsUUID, Length, Matches, ValidateNested } from 'class-validator';
import { Directive, Field, ID, InputType, ObjectType } from 'type-graphql';
import { PageInfo } from '../../_shared/pagination.js';

export const CUSTOMER_LEVELS = ['NORMAL', 'VIP', 'SVIP'] as const;

@ObjectType({ description: 'One account of the customer on one channel (an OpenID, a buyer nick, a phone...).' })
export class ChannelIdentity {
  @Field(() => ID) id: string;
  @Field({ description: 'wechat-oa, wechat-unionid, wechat-mini, wecom-kf, douyin, taobao, weibo, app, web, phone, store' })
  channelType: string;
  @Field() externalId: string;
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
  // tags and identities are field resolvers (batched)
}

@ObjectType()
export class CustomerPage {
  @Field(() => [Customer]) nodes: Customer[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@InputType()
export class ChannelIdentityInput {
  @Field() @Matches(/^[a-z][a-z0-9-]{1,39}$/, { message: 'must be a channel type like wechat-oa' }) channelType: string;
  @Field() @Length(1, 191) externalId: string;
}

@InputType()
export class CreateCustomerInput {
  @Field() @Length(1, 200) name: string;
  @Field({ nullable: true }) @IsOptional() @IsIn(CUSTOMER_LEVELS as unknown as string[]) level?: string;
  @Field(() => [ChannelIdentityInput], { nullable: true })
  @IsOptional() @ArrayMaxSize(20) @ValidateNested({ each: true })
  identities?: ChannelIdentityInput[];
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(50) @Length(1, 64, { each: true }) tags?: string[];
}

@InputType()
export class UpdateCustomerInput {
  @Field(() => ID) @IsUUID() id: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 200) name?: string;
  @Field({ nullable: true }) @IsOptional() @IsIn(CUSTOMER_LEVELS as unknown as string[]) level?: string;
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
  @Field() @Matches(/^[a-z][a-z0-9-]{1,39}$/, { message: 'must be a channel type like wechat-oa' }) channelType: string;
  @Field() @Length(1, 191) externalId: string;
}

@ObjectType()
export class CustomerPayload {
  @Field(() => Customer) customer: Customer;
}
