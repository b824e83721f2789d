import { Directive, Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A brand using Huiliu.' })
@Directive('@key(fields: "id")')
export class Tenant {
  @Field(() => ID) id: string;
  @Field() name: string;
}
