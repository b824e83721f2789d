import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireViewer, type SubgraphContext } from '../../_shared/context.js';
import { STAFF } from '../../_shared/roles.js';
import type { KnowledgeLoaders } from '../knowledge.loaders.js';
import type { KnowledgeServices } from '../knowledge.services.js';
import type { ReplyTemplateEntity } from './template.entity.js';
import { parseTemplate } from './template.render.js';
import {
  CreateReplyTemplateInput, DeleteReplyTemplateInput, DeleteReplyTemplatePayload, RenderedTemplate, ReplyTemplate, ReplyTemplatePayload, UpdateReplyTemplateInput,
} from './template.type.js';

type Ctx = SubgraphContext<KnowledgeServices, KnowledgeLoaders>;

@Resolver(() => ReplyTemplate)
export class ReplyTemplateResolver {
  @Authorized(...STAFF)
  @Query(() => ReplyTemplate, { nullable: true })
  replyTemplate(@Arg('id', () => ID) id: string, @Ctx() ctx: Ctx) {
    return ctx.loaders.templateById.load(id);
  }

  @Authorized(...STAFF)
  @Query(() => [ReplyTemplate], { description: 'By name; optionally those whose name or body contains the text (at most 200).' })
  replyTemplates(@Ctx() ctx: Ctx, @Arg('search', () => String, { nullable: true }) search?: string) {
    return ctx.services.templates.list(requireViewer(ctx).tenant, search);
  }

  @Authorized(...STAFF)
  @Query(() => RenderedTemplate, { description: 'The template with the variables substituted, e.g. { "customer": { "name": "陈女士" }, "order": { "tid": "3862…" } }.' })
  async renderTemplate(
    @Arg('templateId', () => ID) templateId: string,
    @Arg('variables', () => GraphQLJSONObject, { nullable: true, validate: false }) variables: Record<string, unknown> | undefined,
    @Ctx() ctx: Ctx,
  ): Promise<RenderedTemplate> {
    const r = await ctx.services.templates.render(requireViewer(ctx).tenant, templateId, variables ?? {});
    return { templateId, text: r.text, missingVariables: r.missing, complete: r.missing.length === 0 };
  }

  @FieldResolver(() => [String], { description: 'The variables the body uses, in order of first use.' })
  variables(@Root() t: ReplyTemplateEntity): string[] {
    return parseTemplate(t.body).variables;
  }

  @Authorized(...STAFF)
  @Mutation(() => ReplyTemplatePayload, { description: 'CONFLICT when the name is taken; BAD_USER_INPUT for a malformed {{placeholder}}.' })
  async createReplyTemplate(@Arg('input') input: CreateReplyTemplateInput, @Ctx() ctx: Ctx): Promise<ReplyTemplatePayload> {
    const v = requireViewer(ctx);
    return { template: await ctx.services.templates.create(v.tenant, input, v.sub) };
  }

  @Authorized(...STAFF)
  @Mutation(() => ReplyTemplatePayload)
  async updateReplyTemplate(@Arg('input') input: UpdateReplyTemplateInput, @Ctx() ctx: Ctx): Promise<ReplyTemplatePayload> {
    const v = requireViewer(ctx);
    return { template: await ctx.services.templates.update(v.tenant, input, v.sub) };
  }

  @Authorized(...STAFF)
  @Mutation(() => DeleteReplyTemplatePayload)
  async deleteReplyTemplate(@Arg('input') input: DeleteReplyTemplateInput, @Ctx() ctx: Ctx): Promise<DeleteReplyTemplatePayload> {
    return { deletedId: await ctx.services.templates.delete(requireViewer(ctx).tenant, input.templateId) };
  }
}
