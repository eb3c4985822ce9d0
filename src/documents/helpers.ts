import Handlebars from 'handlebars';
import {
  formatDuration,
  formatList,
  formatNumber,
  formatPercent,
  formatRate,
  formatTime,
  formatTimeRange,
  term,
  type TimeStyle,
} from './format.js';
import { markdownToHtml } from './markdown.js';
import { ui, type UiKey } from './ui-strings.js';

/** What a helper knows of the rendering under way: the reader's locale and the time zone times are shown in. */
export interface HelperFrame {
  locale: string;
  timezone: string;
}

type HelperFn = (frame: HelperFrame, ...args: any[]) => unknown;

/** The helpers every template can use; GET /templates/variables lists them from here. `hash`: fn gets the key=value pairs last. */
export const HELPERS: Record<string, { usage: string; description: string; fn: HelperFn; hash?: true }> = {
  time: {
    usage: '{{time instant [style]}}',
    description: 'An instant or date in the incident time zone. style: full (2023-02-14 12:04 CST, default), short (2/14 12:04), date, clock (12:04). Day-precision times show as dates.',
    fn: (f, value: unknown, style: unknown) => (value == null ? '' : formatTime(value as string, (typeof style === 'string' ? style : 'full') as TimeStyle, f.timezone)),
  },
  timeRange: {
    usage: '{{timeRange from to}}',
    description: 'The seed style range: 2/5 8:48~9:50, 2/14 21:45~2/15 15:00.',
    fn: (f, from: unknown, to: unknown) => (from == null ? '' : formatTimeRange(from as never, (to ?? undefined) as never, f.timezone)),
  },
  duration: {
    usage: '{{duration span}}',
    description: 'A duration in the locale (1 h 2 min / 1 小时 2 分钟), prefixed "about"/"约" when approximate.',
    fn: (f, span: unknown) => (span == null ? '' : formatDuration(span as never, f.locale)),
  },
  percent: {
    usage: '{{percent ratio [digits]}}',
    description: 'A ratio as a percentage rounded to digits (default 1): {{percent 0.0040978 3}} → 0.410%.',
    fn: (f, ratio: unknown, digits: unknown) => (ratio == null ? '' : formatPercent(Number(ratio), typeof digits === 'number' ? digits : 1, f.locale)),
  },
  elapsed: {
    usage: '{{elapsed minutes [approximate]}}',
    description: 'A number of minutes as a duration (1 h 2 min / 1 小时 2 分钟), with about/约 when approximate is true or a count above 0; — when null.',
    fn: (f, n: unknown, approximate: unknown) => (n == null ? '—' : formatDuration({ minutes: Number(n), approximate: !!approximate && approximate !== 0 }, f.locale)),
  },
  rate: {
    usage: '{{rate percent}}',
    description: 'A value already in percent, to at most 3 decimals without trailing zeros: {{rate 99.94}} → 99.94%, {{rate 100}} → 100%.',
    fn: (f, value: unknown) => (value == null ? '' : formatRate(Number(value), f.locale)),
  },
  pad: {
    usage: '{{pad n width}}',
    description: 'A whole number padded with zeros: {{pad 8 2}} → 08 (第08周).',
    fn: (_f, n: unknown, width: unknown) => String(n ?? '').padStart(typeof width === 'number' ? width : 2, '0'),
  },
  number: {
    usage: '{{number n}}',
    description: 'A number with digit grouping: 1,496,160.',
    fn: (f, n: unknown) => (n == null ? '' : formatNumber(Number(n), f.locale)),
  },
  list: {
    usage: '{{list items}}',
    description: 'A list joined as a sentence in the locale: a, b, and c / 研发、SRE、安全和数据平台.',
    fn: (f, items: unknown) => formatList(asStrings(items), f.locale),
  },
  join: {
    usage: '{{join items separator [limit]}}',
    description: 'A list joined with a literal separator: {{join participants "、"}}; with a limit, the first that many and then "…".',
    fn: (_f, items: unknown, separator: unknown, limit: unknown) => {
      const sep = typeof separator === 'string' ? separator : ', ';
      // Only the shown items are converted: a list may be long (a period's actions opened, a year's incidents).
      const cut = typeof limit === 'number' && Array.isArray(items) && items.length > limit;
      return cut ? [...asStrings(items.slice(0, limit)), '…'].join(sep) : asStrings(items).join(sep);
    },
  },
  term: {
    usage: '{{term group value}}',
    description:
      'The display name of an enumerated value in the locale; groups: actionType, actionStatus, priority, incidentStatus, detectionSource, reviewStatus, decision, section, role.',
    fn: (f, group: unknown, value: unknown) => (value == null ? '' : term(String(group), String(value), f.locale)),
  },
  ui: {
    usage: '{{ui "key" [name=value …]}}',
    description: 'A page or email string (src/documents/ui-strings.ts) in the locale, its {name} placeholders filled: {{ui "actions.summary" total=total overdue=overdue unowned=unowned}}.',
    fn: (f, key: unknown, hash: Record<string, unknown>) => ui(f.locale, String(key) as UiKey, hash),
    hash: true,
  },
  eq: {
    usage: '(eq a b)',
    description: 'True when a equals b, for {{#if (eq a b)}}.',
    fn: (_f, a: unknown, b: unknown) => a === b,
  },
  or: {
    usage: '(or a b …)',
    description: 'The first truthy argument (an empty list counts as false), for {{#if (or a b)}}.',
    fn: (_f, ...values: unknown[]) => values.find((v) => (Array.isArray(v) ? v.length > 0 : !!v)) ?? false,
  },
  inc: {
    usage: '{{inc @index}}',
    description: 'n + 1, to number items from 1.',
    fn: (_f, n: unknown) => Number(n) + 1,
  },
  includes: {
    usage: '(includes list value)',
    description: 'True when the list contains value, for {{#unless (includes cause.rootCauses cause.trigger)}}.',
    fn: (_f, items: unknown, value: unknown) => Array.isArray(items) && items.includes(value),
  },
  markdown: {
    usage: '{{markdown text}}',
    description: 'User markdown rendered to sanitised HTML (for HTML templates).',
    fn: (_f, text: unknown) => new Handlebars.SafeString(text == null ? '' : markdownToHtml(String(text))),
  },
};

const asStrings = (items: unknown): string[] => (Array.isArray(items) ? items.map(String) : []);
