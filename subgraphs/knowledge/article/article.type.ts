import { ArrayMaxSize, IsDate, IsInt, IsOptional, IsUUID, Length, Min } from 'class-validator';
import { Directive, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { PageInfo } from '../../_shared/pagination.js';

export const ARTICLE_STATUSES = ['DRAFT', 'PUBLISHED', 'ARCHIVED'] as const;

/** Bodies are `text`: 64 KB on MariaDB, so at most 16,000 characters of 4 bytes. */
export const MAX_BODY = 16_000;
export const MAX_TAGS = 20;

@ObjectType({ description: 'One immutable revision of an article: its text, tags and validity, who wrote it and why.' })
export class ArticleVersion {
  @Field(() => ID) id: string;
  @Field(() => Int) version: number;
  @Field() title: string;
  @Field() body: string;
  @Field({ description: 'The JWT subject of the writer, or source:<knowledge source id> for a crawl.' }) authorId: string;
  @Field(() => String, { nullable: true, description: 'Why this version exists; defaults to what changed.' }) changeNote: string | null;
  // tags is a field resolver (null in rows written before tags existed)
  @Field(() => Date, { nullable: true }) validFrom: Date | null;
  @Field(() => Date, { nullable: true }) validTo: Date | null;
  @Field() createdAt: Date;
}

@ObjectType({ description: 'A knowledge-base article for agents and bots; every edit is a new version.' })
@Directive('@key(fields: "id")')
export class Article {
  @Field(() => ID) id: string;
  @Field({ description: "The current version's title." }) title: string;
  @Field({ description: 'DRAFT, PUBLISHED or ARCHIVED' }) status: string;
  @Field(() => Date, { nullable: true, description: 'Applies from this instant (null: always has).' }) validFrom: Date | null;
  @Field(() => Date, { nullable: true, description: 'Applies until this instant (null: open-ended).' }) validTo: Date | null;
  @Field({ description: 'Its crawled source no longer lists the product; the bot does not see it.' }) stale: boolean;
  @Field(() => Date, { nullable: true }) staleSince: Date | null;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
  // version, body, tags, valid, category, source and versions are field resolvers (batched)
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
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(MAX_TAGS) @Length(1, 30, { each: true }) tags?: string[];
  @Field(() => Date, { nullable: true }) @IsOptional() @IsDate() validFrom?: Date;
  @Field(() => Date, { nullable: true }) @IsOptional() @IsDate() validTo?: Date;
  @Field({ nullable: true }) @IsOptional() @Length(1, 500) changeNote?: string;
}

@InputType({ description: 'Omitted fields keep their current value; validFrom/validTo: null clears them.' })
export class UpdateArticleInput {
  @Field(() => ID) @IsUUID() articleId: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 200) title?: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, MAX_BODY) body?: string;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(MAX_TAGS) @Length(1, 30, { each: true }) tags?: string[];
  @Field(() => Date, { nullable: true }) @IsOptional() @IsDate() validFrom?: Date | null;
  @Field(() => Date, { nullable: true }) @IsOptional() @IsDate() validTo?: Date | null;
  @Field({ nullable: true, description: 'Why; defaults to the list of what changed.' }) @IsOptional() @Length(1, 500) changeNote?: string;
}

@InputType()
export class PublishArticleInput {
  @Field(() => ID) @IsUUID() articleId: string;
}

@InputType()
export class ArchiveArticleInput {
  @Field(() => ID) @IsUUID() articleId: string;
}

@InputType()
export class RollbackArticleInput {
  @Field(() => ID) @IsUUID() articleId: string;
  @Field(() => Int, { description: 'The version to copy into a new current version.' }) @IsInt() @Min(1) version: number;
  @Field({ nullable: true }) @IsOptional() @Length(1, 500) changeNote?: string;
}

@ObjectType()
export class ArticlePayload {
  @Field(() => Article) article: Article;
}

export function isArticleStatus(s: string): boolean {
  return (ARTICLE_STATUSES as readonly string[]).includes(s);
}
