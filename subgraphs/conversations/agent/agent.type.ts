import { ArrayMaxSize, IsEmail, IsIn, IsInt, IsOptional, IsUUID, Length, Max, Min } from 'class-validator';
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { AgentStatus } from './agent.entity.js';

export { AgentStatus };
registerEnumType(AgentStatus, { name: 'AgentStatus' });

@ObjectType({ description: 'A person who answers customers.' })
@Directive('@key(fields: "id")')
export class Agent {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field() email: string;
  @Field(() => AgentStatus) status: AgentStatus;
  @Field(() => Int, { description: 'Conversations the agent may hold at once.' }) maxChats: number;
  @Field() createdAt: Date;
  // groups: field resolver (batched)
}

@ObjectType({ description: 'A skill group: orders, logistics, after-sales, VIP...' })
@Directive('@key(fields: "id")')
export class AgentGroup {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => String, { nullable: true }) description: string | null;
  // agents: field resolver (batched)
}

@InputType()
export class CreateAgentInput {
  @Field() @Length(1, 100) name: string;
  @Field() @IsEmail() @Length(3, 191) email: string;
  @Field(() => AgentStatus, { nullable: true }) @IsOptional() @IsIn(Object.values(AgentStatus)) status?: AgentStatus;
  @Field(() => Int, { nullable: true }) @IsOptional() @IsInt() @Min(1) @Max(50) maxChats?: number;
  @Field(() => [ID], { nullable: true }) @IsOptional() @ArrayMaxSize(20) @IsUUID('all', { each: true }) groupIds?: string[];
}

@InputType()
export class CreateAgentGroupInput {
  @Field() @Length(1, 100) name: string;
  @Field({ nullable: true }) @IsOptional() @Length(0, 500) description?: string;
}

@ObjectType()
export class AgentPayload {
  @Field(() => Agent) agent: Agent;
}

@ObjectType()
export class AgentGroupPayload {
  @Field(() => AgentGroup) group: AgentGroup;
}
