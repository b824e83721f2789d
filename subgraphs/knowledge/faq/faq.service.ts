import { In, type DataSource, type Repository } from 'typeorm';
import { badInput, notFound } from '../../_shared/errors.js';
import type { EventBus } from '../../_shared/events.js';
import { newId } from '../../_shared/ids.js';
import { clampFirst, decodeCursor, toPage } from '../../_shared/pagination.js';
import type { CategoryService } from '../category/category.service.js';
import { checkValidity, cleanTags, type KnowledgeChangeSink } from '../knowledge.changes.js';
import { normalizeChars } from '../search/text.js';
import { FaqEntity, FaqQuestionEntity } from './faq.entity.js';
import { FAQ_STATUSES, isFaqStatus } from './faq.type.js';

export interface NewFaq {
  id?: string;
  questions: string[];
  answer: string;
  categoryId?: string | null;
  tags?: string[] | null;
  validFrom?: Date | null;
  validTo?: Date | null;
}

export interface FaqEdit {
  faqId: string;
  questions?: string[] | null;
  answer?: string | null;
  categoryId?: string | null;
  tags?: string[] | null;
  validFrom?: Date | null;
  validTo?: Date | null;
}

type Change = 'created' | 'updated' | 'published' | 'archived';

/** FAQs and their phrasings. Every method is scoped by tenant; every change is an event and reaches search. */
export class FaqService {
  private readonly faqs: Repository<FaqEntity>;
  private readonly questions: Repository<FaqQuestionEntity>;

  constructor(
    private readonly ds: DataSource,
    private readonly events: EventBus,
    private readonly categories: CategoryService,
    private readonly sink: KnowledgeChangeSink,
  ) {
    this.faqs = ds.getRepository(FaqEntity);
    this.questions = ds.getRepository(FaqQuestionEntity);
  }

  async byIds(tenantId: string, ids: readonly string[]): Promise<FaqEntity[]> {
    if (!ids.length) return [];
    return this.faqs.findBy({ tenantId, id: In([...ids]) });
  }

  async get(tenantId: string, id: string): Promise<FaqEntity> {
    const f = await this.faqs.findOneBy({ tenantId, id });
    if (!f) throw notFound('faq', id);
    return f;
  }

  /** The phrasings of the FAQs, in their order. */
  async questionsOf(tenantId: string, faqIds: readonly string[]): Promise<FaqQuestionEntity[]> {
    if (!faqIds.length) return [];
    return this.questions.find({ where: { tenantId, faqId: In([...faqIds]) }, order: { position: 'ASC' } });
  }

  /** Newest first, optionally one status or one category. */
  async list(tenantId: string, opts: { first?: number | null; after?: string | null; status?: string | null; categoryId?: string | null }) {
    const first = clampFirst(opts.first);
    const after = decodeCursor(opts.after);
    if (opts.status != null && !isFaqStatus(opts.status)) throw badInput(`status must be one of ${FAQ_STATUSES.join(', ')}`, 'status');
    const qb = this.faqs.createQueryBuilder('f').where('f.tenant_id = :tenantId', { tenantId });
    if (opts.status != null) qb.andWhere('f.status = :status', { status: opts.status });
    if (opts.categoryId != null) qb.andWhere('f.category_id = :categoryId', { categoryId: opts.categoryId });
    if (after) qb.andWhere('(f.created_at < :at OR (f.created_at = :at AND f.id < :id))', { at: after.at, id: after.id });
    const rows = await qb.orderBy('f.created_at', 'DESC').addOrderBy('f.id', 'DESC').take(first + 1).getMany();
    return toPage(rows, first, (r) => r.createdAt);
  }

  /** A DRAFT. NOT_FOUND for a category outside the tenant. */
  async create(tenantId: string, input: NewFaq, authorId: string): Promise<FaqEntity> {
    const questions = cleanPhrasings(input.questions);
    const categoryId = input.categoryId ? (await this.categories.get(tenantId, input.categoryId)).id : null;
    const invalid = checkValidity(input.validFrom ?? null, input.validTo ?? null);
    if (invalid) throw badInput(invalid, 'validTo');
    const now = new Date();
    const f = this.faqs.create({
      id: input.id ?? newId(), tenantId, categoryId, answer: input.answer, status: 'DRAFT', tags: cleanTags(input.tags),
      validFrom: input.validFrom ?? null, validTo: input.validTo ?? null, createdBy: authorId, updatedBy: authorId, createdAt: now, updatedAt: now,
    });
    await this.ds.transaction(async (m) => {
      await m.insert(FaqEntity, f);
      await m.insert(FaqQuestionEntity, this.questionRows(f, questions));
    });
    await this.changed(f, 'created');
    return f;
  }

  /** Changes the given parts; `questions` replaces every phrasing. The status does not change. */
  async update(tenantId: string, input: FaqEdit, authorId: string): Promise<FaqEntity> {
    const f = await this.get(tenantId, input.faqId);
    const questions = input.questions == null ? null : cleanPhrasings(input.questions);
    const patch: Partial<FaqEntity> = { updatedBy: authorId, updatedAt: new Date() };
    if (input.answer != null) patch.answer = input.answer;
    if (input.tags !== undefined) patch.tags = cleanTags(input.tags);
    if (input.validFrom !== undefined) patch.validFrom = input.validFrom;
    if (input.validTo !== undefined) patch.validTo = input.validTo;
    if (input.categoryId !== undefined) patch.categoryId = input.categoryId ? (await this.categories.get(tenantId, input.categoryId)).id : null;
    const invalid = checkValidity(patch.validFrom !== undefined ? patch.validFrom : f.validFrom, patch.validTo !== undefined ? patch.validTo : f.validTo);
    if (invalid) throw badInput(invalid, 'validTo');
    await this.ds.transaction(async (m) => {
      await m.update(FaqEntity, { tenantId, id: f.id }, patch);
      if (questions) {
        await m.delete(FaqQuestionEntity, { tenantId, faqId: f.id });
        await m.insert(FaqQuestionEntity, this.questionRows(f, questions));
      }
    });
    Object.assign(f, patch);
    await this.changed(f, 'updated');
    return f;
  }

  /** Idempotent. Makes the FAQ visible to the bot (within its validity); un-archives too. */
  async publish(tenantId: string, faqId: string, authorId: string): Promise<FaqEntity> {
    return this.setStatus(tenantId, faqId, 'PUBLISHED', authorId, 'published');
  }

  /** Idempotent. Takes the FAQ out of search. */
  async archive(tenantId: string, faqId: string, authorId: string): Promise<FaqEntity> {
    return this.setStatus(tenantId, faqId, 'ARCHIVED', authorId, 'archived');
  }

  private async setStatus(tenantId: string, faqId: string, status: string, authorId: string, change: Change): Promise<FaqEntity> {
    const f = await this.get(tenantId, faqId);
    if (f.status === status) return f;
    const patch = { status, updatedBy: authorId, updatedAt: new Date() };
    await this.faqs.update({ tenantId, id: f.id }, patch);
    Object.assign(f, patch);
    await this.changed(f, change);
    return f;
  }

  private questionRows(f: FaqEntity, questions: string[]): FaqQuestionEntity[] {
    return questions.map((question, position) => this.questions.create({ id: newId(), tenantId: f.tenantId, faqId: f.id, position, question }));
  }

  private async changed(f: FaqEntity, change: Change): Promise<void> {
    await this.events.publish({ type: 'faq.changed', tenantId: f.tenantId, data: { faqId: f.id, status: f.status, change } });
    await this.sink.changed(f.tenantId, 'FAQ', [f.id]);
  }
}

/** Trimmed phrasings without repeats (ignoring case, width and trailing punctuation). */
export function cleanPhrasings(questions: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const q of questions.map((s) => s.trim())) {
    const key = normalizeChars(q).replace(/[\s?？!！。.,，~～]+$/u, '');
    if (!key) throw badInput('a question must not be empty', 'questions');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(q);
  }
  return out;
}
