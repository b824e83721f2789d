import { Field, Float, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum KnowledgeKindEnum {
  ARTICLE = 'ARTICLE',
  FAQ = 'FAQ',
}
registerEnumType(KnowledgeKindEnum, { name: 'KnowledgeKind', description: 'What a knowledge search hit is.' });

@ObjectType({ description: 'One ranked result of searchKnowledge.' })
export class KnowledgeHit {
  @Field(() => KnowledgeKindEnum) kind: KnowledgeKindEnum;
  @Field(() => ID, { description: 'The article or FAQ id.' }) id: string;
  @Field(() => Float, { description: 'BM25 relevance; only comparable within one search.' }) score: number;
  @Field({ description: "The article's title, or the FAQ phrasing that matches best." }) title: string;
  @Field({ description: 'The title as HTML with the matched words in <em>…</em>.' }) highlightedTitle: string;
  @Field({ description: 'About 120 characters of the body or answer around the matches, as HTML with <em>…</em>.' }) snippet: string;
  // article and faq are field resolvers (batched)
}
