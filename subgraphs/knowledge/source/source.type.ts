import { ArrayMaxSize, ArrayMinSize, IsBoolean, IsIn, IsOptional, IsUUID, Length } from 'class-validator';
import { Directive, Field, ID, InputType, Int, ObjectType } from 'type-graphql';

export const SOURCE_KINDS = ['PRODUCT_PAGES', 'JSON_FEED', 'CSV_FEED'] as const;
export const MAX_URLS = 500;

@ObjectType({ description: 'What one crawl of a source found and did.' })
export class CrawlReport {
  @Field({ description: 'OK, PARTIAL (some URLs failed or were disallowed) or FAILED (nothing could be fetched).' }) status: string;
  @Field() startedAt: Date;
  @Field() finishedAt: Date;
  @Field(() => Int, { description: 'URLs fetched with new content (200).' }) fetched: number;
  @Field(() => Int, { description: 'URLs unchanged since the last crawl (304 to a conditional request).' }) notModified: number;
  @Field(() => Int, { description: 'URLs that answered 404 or 410: their products vanished.' }) gone: number;
  @Field(() => Int, { description: 'URLs robots.txt does not allow us to fetch.' }) disallowed: number;
  @Field(() => Int) errors: number;
  @Field(() => Int, { description: 'Products read from the fetched content.' }) products: number;
  @Field(() => Int, { description: 'New products: a new article each.' }) created: number;
  @Field(() => Int, { description: 'Products whose facts changed: a new article version each.' }) updated: number;
  @Field(() => Int) unchanged: number;
  @Field(() => Int, { description: 'Products no longer listed: their articles are flagged stale.' }) stale: number;
  @Field(() => Int, { description: 'Products listed again: their articles are no longer stale.' }) restored: number;
  @Field(() => [String], { description: 'What went wrong, per URL (at most 20).' }) messages: string[];
}

@ObjectType({ description: 'Product pages or a product feed that is crawled on a schedule to keep articles current.' })
@Directive('@key(fields: "id")')
export class KnowledgeSource {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field({ description: 'PRODUCT_PAGES, JSON_FEED or CSV_FEED' }) kind: string;
  @Field(() => [String]) urls: string[];
  @Field({ description: 'A cron pattern (five fields, or six with seconds), read in `timezone`.' }) schedule: string;
  @Field() timezone: string;
  @Field() enabled: boolean;
  @Field({ description: 'Articles it creates are published at once.' }) autoPublish: boolean;
  @Field(() => Date, { nullable: true }) nextRunAt: Date | null;
  @Field(() => Date, { nullable: true }) lastRunAt: Date | null;
  @Field(() => String, { nullable: true }) lastStatus: string | null;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
  // lastReport and category are field resolvers
}

@InputType()
export class CreateKnowledgeSourceInput {
  @Field() @Length(1, 100) name: string;
  @Field({ description: 'PRODUCT_PAGES, JSON_FEED or CSV_FEED' }) @IsIn(SOURCE_KINDS) kind: string;
  @Field(() => [String], { description: 'Product page URLs, or the feed URL(s); http or https.' })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_URLS)
  @Length(1, 1000, { each: true })
  urls: string[];
  @Field({ nullable: true, description: 'Cron pattern; default every day at 03:00.' }) @IsOptional() @Length(1, 100) schedule?: string;
  @Field({ nullable: true, description: 'IANA time zone of the schedule; default Asia/Shanghai.' }) @IsOptional() @Length(1, 64) timezone?: string;
  @Field(() => ID, { nullable: true, description: 'The category of the articles it creates.' }) @IsOptional() @IsUUID() categoryId?: string;
  @Field({ nullable: true }) @IsOptional() @IsBoolean() enabled?: boolean;
  @Field({ nullable: true }) @IsOptional() @IsBoolean() autoPublish?: boolean;
}

@InputType({ description: 'Omitted fields keep their value.' })
export class UpdateKnowledgeSourceInput {
  @Field(() => ID) @IsUUID() sourceId: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 100) name?: string;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMinSize(1) @ArrayMaxSize(MAX_URLS) @Length(1, 1000, { each: true }) urls?: string[];
  @Field({ nullable: true }) @IsOptional() @Length(1, 100) schedule?: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 64) timezone?: string;
  @Field({ nullable: true }) @IsOptional() @IsBoolean() enabled?: boolean;
  @Field({ nullable: true }) @IsOptional() @IsBoolean() autoPublish?: boolean;
}

@InputType()
export class RunKnowledgeSourceInput {
  @Field(() => ID) @IsUUID() sourceId: string;
}

@ObjectType()
export class KnowledgeSourcePayload {
  @Field(() => KnowledgeSource) source: KnowledgeSource;
}

@ObjectType()
export class RunKnowledgeSourcePayload {
  @Field(() => KnowledgeSource) source: KnowledgeSource;
  @Field(() => CrawlReport) report: CrawlReport;
}
