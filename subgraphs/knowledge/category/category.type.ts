import { IsOptional, IsUUID, Length } from 'class-validator';
import { Directive, Field, ID, InputType, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A folder of the knowledge base; categories nest through parent.' })
@Directive('@key(fields: "id")')
export class Category {
  @Field(() => ID) id: string;
  @Field() name: string;
  // parent is a field resolver (batched)
}

@InputType()
export class CreateCategoryInput {
  @Field() @Length(1, 100) name: string;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() parentId?: string;
}

@ObjectType()
export class CategoryPayload {
  @Field(() => Category) category: Category;
}
