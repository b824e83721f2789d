import { IsIn, IsInt, IsOptional, IsUUID, Length, Min } from 'class-validator';
import { Directive, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { PageInfo } from '../../_shared/pagination.js';

export const ARTICLE_STATUSES = ['DRAFT', 'PUBLISHED', 'ARCHIVED'] as const;

/** Bodies are `text`: 64 KB on MariaDB, so at most 16,000 characters of 4 bytes. */
export const MAX_BODY = 16_000;

@ObjectType({ description: 'One immutable revision of an article.' })
export class ArticleVersion {
  @Field(() => ID) id: string;
  @Field(() => Int) version: number;
  @Field() title: string;
  @Field() body: string;
  @Field({ description: 'The JWT subject of the writer.' }) authorId: string;
  @Field() createdAt: Date;
}

@ObjectType({ description: 'A knowledge-base article for agents and bots; every edit is a new version.' })
@Directive('@key(fields: "id")')
export class Article {
  @Field(() => ID) id: string;
  @Field({ description: "The current version's title." }) title: string;
  @Field({ description: 'DRAFT, PUBLISHED or ARCHIVED' }) status: string;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
  // version, body, category and versions are field resolvers (batched)
}

@ObjectType()
export class ArticlePage {
  @Field(() => [Article]) nodes: Article[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@InputType()
export class CreateArticleInput {
  @Field() @Length(1, 200) title: string;
  @Field() @Length(1, MAX_BODY) body: string;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() categoryId?: string;
}

@InputType()
export class UpdateArticleInput {
  @Field(() => ID) @IsUUID() articleId: string;
  @Field({ nullable: true, description: 'Keeps the current title when omitted.' }) @IsOptional() @Length(1, 200) title?: string;
  @Field() @Length(1, MAX_BODY) body: string;
}

@InputType()
export class PublishArticleInput {
  @Field(() => ID) @IsUUID() articleId: string;
}

@InputType()
export class RollbackArticleInput {
  @Field(() => ID) @IsUUID() articleId: string;
  @Field(() => Int, { description: 'The version to copy into a new current version.' }) @IsInt() @Min(1) version: number;
}

@ObjectType()
export class ArticlePayload {
  @Field(() => Article) article: Article;
}

export function isArticleStatus(s: string): boolean {
  return (ARTICLE_STATUSES as readonly string[]).includes(s);
}
