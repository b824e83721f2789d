import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict';
import domainDictionary from './domain-dictionary.json';
import defaultSynonyms from './synonyms.default.json';
import { isWordy, normalizeChars } from './text.js';

/** Particles and greetings that carry no meaning for retrieval ("亲，在吗？请问…的…吗"). */
const STOPWORDS = new Set([
  '的', '了', '吗', '呢', '吧', '啊', '呀', '嘛', '哦', '哈', '么', '呗', '啦', '哟', '喔', '嗯', '么么哒',
  '请问', '您好', '你好', '亲', '在吗', '一下', '谢谢', '麻烦', '客服',
  '我', '你', '他', '她', '我们', '你们', '这', '那', '这个', '那个', '和', '与', '及', '或',
]);

export type DictEntry = string | [string, number];

export interface SegmenterOptions {
  /** Extra words besides the built-in domain dictionary (a tenant-independent addition, e.g. in tests). */
  extraWords?: DictEntry[];
  /** false: only jieba's general dictionary (the benchmark measures what the domain words are worth). */
  domainDictionary?: boolean;
}

/**
 * Chinese word segmentation for search: jieba (search mode, which also emits the shorter words inside a long
 * one: 真空包装 → 真空, 包装, 真空包装) with the domain dictionary and the built-in synonyms loaded, so words
 * like 东北大米, 顺丰, 7天无理由 and 米虫 stay whole. One per process (loading jieba costs ~200 ms and ~30 MB);
 * it is shared by every tenant, so tenant-specific words never change it (segmentation stays deterministic).
 */
export class Segmenter {
  private readonly jieba: Jieba;

  constructor(opts: SegmenterOptions = {}) {
    this.jieba = Jieba.withDict(dict);
    const entries: DictEntry[] = [];
    if (opts.domainDictionary !== false) {
      entries.push(...(domainDictionary.words as DictEntry[]));
      for (const group of defaultSynonyms.groups) for (const w of group) if ([...w].length > 1) entries.push(w);
    }
    entries.push(...(opts.extraWords ?? []));
    if (entries.length) {
      const lines = entries.map((e) => (typeof e === 'string' ? `${normalizeChars(e)} 2000` : `${normalizeChars(e[0])} ${e[1]}`));
      this.jieba.loadDict(Buffer.from(`${lines.join('\n')}\n`));
    }
  }

  /** Normalised tokens for indexing and querying: no punctuation, no stop words; repeats kept (term frequency). */
  tokens(text: string): string[] {
    const norm = normalizeChars(text);
    const out: string[] = [];
    for (const raw of this.jieba.cutForSearch(norm, true)) {
      const t = raw.trim();
      if (t && isWordy(t) && !STOPWORDS.has(t)) out.push(t);
    }
    return out;
  }
}
