import { ArrayMaxSize, ArrayMinSize, IsDate, IsOptional, IsUUID, Length } from 'class-validator';
import { Directive, Field, ID, InputType, ObjectType } from 'type-graphql';
import { PageInfo } from '../../_shared/pagination.js';
import { MAX_TAGS } from '../article/article.type.js';

export const FAQ_STATUSES = ['DRAFT', 'PUBLISHED', 'ARCHIVED'] as const;
export const MAX_ANSWER = 4000;
export const MAX_PHRASINGS = 20;

@ObjectType({ description: 'A frequently asked question: one answer and the several ways customers ask it.' })
@Directive('@key(fields: "id")')
export class Faq {
  @Field(() => ID) id: string;
  @Field() answer: string;
  @Field({ description: 'DRAFT, PUBLISHED or ARCHIVED' }) status: string;
  @Field(() => Date, { nullable: true }) validFrom: Date | null;
  @Field(() => Date, { nullable: true }) validTo: Date | null;
  @Field({ description: 'The JWT subject of the last writer.' }) updatedBy: string;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
  // question, questions, tags, valid and category are field resolvers (batched)
}

@ObjectType()
export class FaqPage {
  @Field(() => [Faq]) nodes: Faq[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@InputType()
export class CreateFaqInput {
  @Field(() => [String], { description: 'The phrasings of the question; the first is its title.' })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_PHRASINGS)
  @Length(1, 200, { each: true })
  questions: string[];

  @Field() @Length(1, MAX_ANSWER) answer: string;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() categoryId?: string;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(MAX_TAGS) @Length(1, 30, { each: true }) tags?: string[];
  @Field(() => Date, { nullable: true }) @IsOptional() @IsDate() validFrom?: Date;
  @Field(() => Date, { nullable: true }) @IsOptional() @IsDate() validTo?: Date;
}

@InputType({ description: 'Omitted fields keep their value; questions replaces every phrasing; validFrom/validTo: null clears them.' })
export class UpdateFaqInput {
  @Field(() => ID) @IsUUID() faqId: string;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMinSize(1) @ArrayMaxSize(MAX_PHRASINGS) @Length(1, 200, { each: true }) questions?: string[];
  @Field({ nullable: true }) @IsOptional() @Length(1, MAX_ANSWER) answer?: string;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() categoryId?: string | null;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(MAX_TAGS) @Length(1, 30, { each: true }) tags?: string[];
  @Field(() => Date, { nullable: true }) @IsOptional() @IsDate() validFrom?: Date | null;
  @Field(() => Date, { nullable: true }) @IsOptional() @IsDate() validTo?: Date | null;
}

@InputType()
export class FaqIdInput {
  @Field(() => ID) @IsUUID() faqId: string;
}

@ObjectType()
export class FaqPayload {
  @Field(() => Faq) faq: Faq;
}

export const isFaqStatus = (s: string): boolean => (FAQ_STATUSES as readonly string[]).includes(s);
