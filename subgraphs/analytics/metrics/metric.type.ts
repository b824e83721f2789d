import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Conversations opened on one channel within the range (customers reaching out: records of order or call events, opened already resolved, do not count).' })
export class ChannelMetric {
  @Field({ description: 'wechat-oa, douyin, web, ...; empty when the conversation named no channel.' })
  channelType: string;
  @Field(() => Int) conversationsOpened: number;
}

@ObjectType({ description: 'One UTC hour of the range.' })
export class MetricBucket {
  @Field({ description: 'Start of the hour (UTC).' }) start: Date;
  @Field(() => Int) conversationsOpened: number;
  @Field(() => Int) firstResponses: number;
  @Field(() => Float, { nullable: true, description: 'Null when no first response happened in this hour.' })
  avgFirstResponseSeconds: number | null;
}

@ObjectType({ description: "Real-time aggregates of the caller's tenant, fed by domain events, at hour resolution." })
export class MetricSummary {
  @Field({ description: 'Start of the first hour covered (the requested `from`, rounded down to the hour).' }) from: Date;
  @Field({ description: 'End of the last hour covered (the requested `to`, rounded up to the hour).' }) to: Date;
  @Field(() => Int) conversationsOpened: number;
  @Field(() => Int, { description: 'Conversations that got their first agent or bot response in the range.' }) firstResponses: number;
  @Field(() => Float, { nullable: true, description: 'Null when there was no first response in the range.' })
  avgFirstResponseSeconds: number | null;
  @Field(() => Float, { nullable: true }) maxFirstResponseSeconds: number | null;
  @Field(() => [ChannelMetric], { description: 'Most conversations first.' }) byChannel: ChannelMetric[];
  @Field(() => [MetricBucket], { description: 'Every hour of the range, oldest first, zeros included.' }) buckets: MetricBucket[];
}
