import { IsOptional, IsUUID, Length } from 'class-validator';
import { Directive, Field, ID, InputType, ObjectType } from 'type-graphql';

export const MAX_TEMPLATE = 4000;

@ObjectType({ description: 'A canned reply for agents; {{customer.name}}-style variables are filled in by renderTemplate.' })
@Directive('@key(fields: "id")')
export class ReplyTemplate {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field() body: string;
  @Field() updatedBy: string;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
  // variables is a field resolver
}

@ObjectType({ description: 'A template with the given variables substituted.' })
export class RenderedTemplate {
  @Field(() => ID) templateId: string;
  @Field({ description: 'The text; a missing variable keeps its {{placeholder}} so that nobody sends it unnoticed.' }) text: string;
  @Field(() => [String], { description: 'Variables the template uses that had no value and no fallback.' }) missingVariables: string[];
  @Field({ description: 'True when nothing is missing: the text can be sent as it is.' }) complete: boolean;
}

@InputType()
export class CreateReplyTemplateInput {
  @Field() @Length(1, 100) name: string;
  @Field() @Length(1, MAX_TEMPLATE) body: string;
}

@InputType()
export class UpdateReplyTemplateInput {
  @Field(() => ID) @IsUUID() templateId: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 100) name?: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, MAX_TEMPLATE) body?: string;
}

@InputType()
export class DeleteReplyTemplateInput {
  @Field(() => ID) @IsUUID() templateId: string;
}

@ObjectType()
export class ReplyTemplatePayload {
  @Field(() => ReplyTemplate) template: ReplyTemplate;
}

@ObjectType()
export class DeleteReplyTemplatePayload {
  @Field(() => ID) deletedId: string;
}
