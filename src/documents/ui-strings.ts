/**
 * The words people read (pages, emails, chat, warnings, form errors, and the display names of enumerated
 * values as `term.<group>.<value>`), by short id, from `locales/<locale>.json`: ICU messages, so a
 * translator edits JSON and plurals are `{n, plural, one {…} other {…}}`. Templates use `{{ui "nav.incidents"}}`
 * (with `{{ui "actions.summary" total=3 …}}` for placeholders); TypeScript uses `ui(locale, key, vars)`.
 * Strings are text: the Handlebars helper HTML-escapes them, and tags in a message are not parsed.
 */
import { IntlMessageFormat } from 'intl-messageformat';
import en from '../../locales/en.json' with { type: 'json' };
import zhCN from '../../locales/zh-CN.json' with { type: 'json' };

export type UiKey = keyof typeof en;

/** Every locale's strings; a locale not listed reads English. */
export const UI_STRINGS: Record<string, Record<UiKey, string>> = { en, 'zh-CN': zhCN };

export function isUiKey(key: string): key is UiKey {
  return Object.hasOwn(en, key);
}

/** Parsing a message costs far more than formatting it; there are a few hundred per locale, each parsed once. */
const compiled = new Map<string, IntlMessageFormat>();

function message(locale: string, key: UiKey): IntlMessageFormat {
  const strings = UI_STRINGS[locale] ? locale : 'en';
  const id = `${strings}\u0000${key}`;
  let format = compiled.get(id);
  if (!format) {
    format = new IntlMessageFormat(UI_STRINGS[strings]![key], strings, undefined, { ignoreTag: true });
    compiled.set(id, format);
  }
  return format;
}

/**
 * The string `key` in `locale` (English for a locale without strings), its placeholders filled from `vars`.
 * Values are passed as text, so a number reads as the caller formatted it (plural rules still read it as a number).
 */
export function ui(locale: string, key: UiKey, vars: Record<string, unknown> = {}): string {
  if (!isUiKey(key)) throw new Error(`unknown UI string "${key}"`);
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(vars)) values[name] = value == null ? '' : String(value);
  try {
    return String(message(locale, key).format(values));
  } catch (error) {
    throw new Error(`UI string "${key}": ${(error as Error).message}`);
  }
}
