import { IsBoolean, IsOptional, Length, Matches } from 'class-validator';
import { Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Customer } from '../customer/customer.type.js';
import { MergeSuggestion } from '../merge/merge.type.js';

export enum IdentityLinkedBy {
  EXACT = 'EXACT',
  STRONG_KEY = 'STRONG_KEY',
  NEW = 'NEW',
}
registerEnumType(IdentityLinkedBy, {
  name: 'IdentityLinkedBy',
  valuesConfig: {
    EXACT: { description: 'The identity was known.' },
    STRONG_KEY: { description: 'A new identity, linked to a known customer by UnionID, verified phone or logged-in app user.' },
    NEW: { description: 'Nobody known: a new customer.' },
  },
});

@InputType({ description: 'What a channel knows about the sender of an inbound message.' })
export class ResolveIdentityInput {
  @Field({ description: 'The channel type: wechat-oa, wechat-mini, wecom-kf, douyin, taobao, weibo, app, web, phone, ...' })
  @Matches(/^[a-z][a-z0-9-]{1,39}$/, { message: 'must be a channel type like wechat-oa' })
  channelType: string;
  @Field({ description: "The sender's id on the channel (OpenID, buyer nick, visitor token, caller number...)." }) @Length(1, 191) externalId: string;
  @Field({ nullable: true, description: 'The app id for app-scoped ids (WeChat appid, Douyin client key, Taobao app key, WeCom corp id).' })
  @IsOptional() @Length(1, 64) appId?: string;
  @Field({ nullable: true, description: 'The WeChat UnionID (strong key).' }) @IsOptional() @Length(1, 191) unionId?: string;
  @Field({ nullable: true }) @IsOptional() @Length(3, 32) phone?: string;
  @Field({ nullable: true, description: 'true when the channel verified the phone (SMS code, carrier login): a strong key.' })
  @IsOptional() @IsBoolean() phoneVerified?: boolean;
  @Field({ nullable: true, description: "The brand app's logged-in user id (strong key)." }) @IsOptional() @Length(1, 191) appUserId?: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 200) name?: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 500) address?: string;
}

@ObjectType()
export class ResolveIdentityPayload {
  @Field(() => Customer) customer: Customer;
  @Field({ description: 'true when this message created the customer.' }) created: boolean;
  @Field(() => IdentityLinkedBy) linkedBy: IdentityLinkedBy;
  @Field(() => [MergeSuggestion], { description: 'Merge suggestions this message raised.' }) suggestions: MergeSuggestion[];
}
