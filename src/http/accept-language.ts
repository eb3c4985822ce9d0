import type { Locale } from '../lib/config.js';

/** The first of en / zh-CN an Accept-Language header names, by its q order; undefined when it names neither. */
export function acceptedLocale(header: string | undefined): Locale | undefined {
  const ranges = (header ?? '')
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.split(';').map((s) => s.trim());
      const q = params.map((p) => /^q=([\d.]+)$/i.exec(p)?.[1]).find((v) => v !== undefined);
      return { primary: tag.toLowerCase().split('-')[0], q: q === undefined ? 1 : Number(q), i };
    })
    .filter((r) => r.primary && r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { primary } of ranges) {
    if (primary === 'en') return 'en';
    if (primary === 'zh') return 'zh-CN';
  }
  return undefined;
}
