import { ArrayMaxSize, ArrayMinSize, IsUUID, Length } from 'class-validator';
import { Field, ID, InputType, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Words that mean the same to customers (快递 = 物流 = 发货); search expands a query word to its group.' })
export class SynonymGroup {
  @Field(() => ID, { description: 'builtin:<n> for a built-in group.' }) id: string;
  @Field(() => [String]) terms: string[];
  @Field({ description: 'Built into Huiliu for every tenant (read-only).' }) builtIn: boolean;
}

@InputType()
export class CreateSynonymGroupInput {
  @Field(() => [String]) @ArrayMinSize(2) @ArrayMaxSize(20) @Length(1, 20, { each: true }) terms: string[];
}

@InputType()
export class DeleteSynonymGroupInput {
  @Field(() => ID) @IsUUID() groupId: string;
}

@ObjectType()
export class SynonymGroupPayload {
  @Field(() => SynonymGroup) group: SynonymGroup;
}

@ObjectType()
export class DeleteSynonymGroupPayload {
  @Field(() => ID) deletedId: string;
}
