import { ArrayMaxSize, IsInt, IsObject, IsOptional, IsString, Length, Max, Min, ValidateNested } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, InputType, Int } from 'type-graphql';

/**
 * Routing input types, in a file of their own (no import of the conversation types) so that
 * CreateConversationInput can carry them without an import cycle.
 */

@InputType()
export class RoutingCustomerInput {
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(50) @IsString({ each: true }) @Length(1, 60, { each: true }) tags?: string[];
  @Field({ nullable: true }) @IsOptional() @Length(1, 40) vipLevel?: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 40) riskLevel?: string;
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Flat attributes: strings, numbers, booleans.' }) @IsOptional() @IsObject() attributes?: Record<string, string | number | boolean>;
}

@InputType({ description: "Routing input that the conversation itself does not carry: what the channel, the bot and the customer's profile know." })
export class RoutingHintsInput {
  @Field(() => RoutingCustomerInput, { nullable: true }) @IsOptional() @ValidateNested() customer?: RoutingCustomerInput;
  @Field({ nullable: true }) @IsOptional() @Length(1, 40) businessType?: string;
  @Field({ nullable: true, description: "The bot's recognised intent." }) @IsOptional() @Length(1, 60) intent?: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 60) menuKey?: string;
  @Field({ nullable: true, description: 'An order event that opened it (e.g. refund_requested).' }) @IsOptional() @Length(1, 60) orderEvent?: string;
  @Field(() => Int, { nullable: true }) @IsOptional() @IsInt() @Min(-100) @Max(100) priority?: number;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(10) @IsString({ each: true }) requiredSkills?: string[];
}
