import { IsOptional, IsUUID, Length } from 'class-validator';
import { Field, Float, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../../_shared/pagination.js';
import { Customer } from '../customer/customer.type.js';

export enum MergeSuggestionReason {
  SAME_UNVERIFIED_PHONE = 'SAME_UNVERIFIED_PHONE',
  SAME_NAME_AND_ADDRESS = 'SAME_NAME_AND_ADDRESS',
  SHARED_STRONG_KEY = 'SHARED_STRONG_KEY',
}
registerEnumType(MergeSuggestionReason, {
  name: 'MergeSuggestionReason',
  valuesConfig: {
    SAME_UNVERIFIED_PHONE: { description: 'The same phone number, not verified on at least one side.' },
    SAME_NAME_AND_ADDRESS: { description: 'The same name and delivery address.' },
    SHARED_STRONG_KEY: { description: 'A strong key (UnionID, app user, verified phone) of one customer arrived with an identity of the other.' },
  },
});

export enum MergeSuggestionStatus {
  PENDING = 'PENDING',
  ACCEPTED = 'ACCEPTED',
  REJECTED = 'REJECTED',
}
registerEnumType(MergeSuggestionStatus, { name: 'MergeSuggestionStatus' });

export enum CustomerMergeStatus {
  MERGED = 'MERGED',
  UNMERGED = 'UNMERGED',
}
registerEnumType(CustomerMergeStatus, { name: 'CustomerMergeStatus' });

@ObjectType({ description: 'A sign that two customers may be one person, for an agent to accept (merge) or reject.' })
export class MergeSuggestion {
  @Field(() => ID) id: string;
  // customer, candidate and merge are field resolvers (batched)
  @Field(() => MergeSuggestionReason) reason: MergeSuggestionReason;
  @Field(() => Float, { description: 'How likely the two are one person, 0 to 1.' }) score: number;
  @Field(() => MergeSuggestionStatus) status: MergeSuggestionStatus;
  @Field() createdAt: Date;
  @Field(() => String, { nullable: true, description: 'The JWT subject of whoever accepted or rejected it.' }) decidedBy: string | null;
  @Field(() => Date, { nullable: true }) decidedAt: Date | null;
}

@ObjectType()
export class MergeSuggestionPage {
  @Field(() => [MergeSuggestion]) nodes: MergeSuggestion[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@ObjectType({ description: 'An identity a merge moved to the survivor (given back by the unmerge).' })
export class MovedIdentity {
  @Field(() => ID) id: string;
  @Field() kind: string;
  @Field() channelType: string;
}

@ObjectType({ description: 'The audit record of a merge: who, when, why, what moved; and its undoing.' })
export class CustomerMerge {
  @Field(() => ID) id: string;
  // survivor, merged, movedIdentities, movedTags, profileFields are field resolvers
  @Field() reason: string;
  @Field({ description: 'The JWT subject of whoever merged.' }) mergedBy: string;
  @Field({ description: 'When the merge happened.' }) createdAt: Date;
  @Field(() => CustomerMergeStatus) status: CustomerMergeStatus;
  @Field(() => String, { nullable: true }) unmergedBy: string | null;
  @Field(() => Date, { nullable: true }) unmergedAt: Date | null;
  @Field(() => String, { nullable: true }) unmergeReason: string | null;
}

@ObjectType()
export class CustomerMergePage {
  @Field(() => [CustomerMerge]) nodes: CustomerMerge[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@InputType()
export class MergeCustomersInput {
  @Field(() => ID, { description: 'The customer that remains.' }) @IsUUID() survivorId: string;
  @Field(() => ID, { description: 'The customer merged into the survivor.' }) @IsUUID() mergedId: string;
  @Field({ description: 'Why: kept in the audit record.' }) @Length(1, 500) reason: string;
}

@InputType()
export class UnmergeCustomersInput {
  @Field(() => ID) @IsUUID() mergeId: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 500) reason?: string;
}

@InputType()
export class AcceptMergeSuggestionInput {
  @Field(() => ID) @IsUUID() suggestionId: string;
  @Field(() => ID, { nullable: true, description: 'Which of the two remains; by default the older one.' }) @IsOptional() @IsUUID() survivorId?: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 500) reason?: string;
}

@InputType()
export class RejectMergeSuggestionInput {
  @Field(() => ID) @IsUUID() suggestionId: string;
}

@ObjectType()
export class MergeCustomersPayload {
  @Field(() => CustomerMerge) merge: CustomerMerge;
  @Field(() => Customer) survivor: Customer;
  @Field(() => Customer, { description: 'The other customer: merged (mergedInto set) after a merge, on its own again after an unmerge.' })
  merged: Customer;
}

@ObjectType()
export class MergeSuggestionPayload {
  @Field(() => MergeSuggestion) suggestion: MergeSuggestion;
}
