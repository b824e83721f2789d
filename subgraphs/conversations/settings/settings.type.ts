import { IsInt, Max, Min } from 'class-validator';
import { Field, InputType, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: "The caller's tenant's conversation rules." })
export class ConversationSettings {
  @Field(() => Int, { description: 'A customer message within this many hours of RESOLVED (or of our latest message after it, such as a ticket reply) reopens the conversation; later, a new one is opened.' })
  reopenWindowHours: number;
  @Field({ description: "False while the tenant runs on the deployment's defaults." }) customized: boolean;
}

@InputType()
export class UpdateConversationSettingsInput {
  @Field(() => Int) @IsInt() @Min(0) @Max(24 * 90) reopenWindowHours: number;
}

@ObjectType()
export class ConversationSettingsPayload {
  @Field(() => ConversationSettings) settings: ConversationSettings;
}
