import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { Field, InputType, Int, ObjectType } from 'type-graphql';

@InputType()
export class ReencryptCustomerPiiInput {
  @Field(() => Int, { nullable: true, description: 'Rows per batch (default 500).' }) @IsOptional() @IsInt() @Min(1) @Max(5000) batchSize?: number;
}

@ObjectType({ description: "What a PII re-encryption of the caller's tenant did." })
export class ReencryptCustomerPiiPayload {
  @Field(() => Int, { description: 'Values re-encrypted under the active key.' }) reencrypted: number;
  @Field(() => Int, { description: 'Phone identities from before encryption, now hashed and encrypted.' }) upgraded: number;
  @Field(() => Int, { description: 'Values left as they were (their key is no longer configured); see the logs.' }) failed: number;
  @Field(() => Int, { description: 'Values still under another key than the active one.' }) remaining: number;
}
