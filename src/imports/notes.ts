import { ui, type UiKey } from '../documents/ui-strings.js';
import type { Said } from '../lib/errors.js';

/** Something the import could not read, or read with a doubt, on a line of the text given. */
export interface ImportWarning {
  /** 1-based line in the text that was given. */
  line: number;
  /** In English; `said` says it in the reader's language (`said.import.<id>` in locales/*.json). */
  message: string;
  said: Said;
}

/** The warnings the import gives, by their id under `said.import.` in the locale files. */
export type NoteId =
  | 'notPlaced'
  | 'noEnd'
  | 'noHeadline'
  | 'noCause'
  | 'noRemediation'
  | 'statedRatio'
  | 'moreErrorsThanRows'
  | 'rowsNotRead'
  | 'reportNoLink'
  | 'actionsFiled'
  | 'eitherLevel'
  | 'unknownLevel'
  | 'noLevel'
  | 'badWhen'
  | 'endBeforeStart'
  | 'twin'
  | 'noTitle'
  | 'badTitleDate'
  | 'outsideEntry'
  | 'undatedBullet';

export function note(line: number, id: NoteId, params: Record<string, string | number> = {}): ImportWarning {
  return { line, message: ui('en', `said.import.${id}` as UiKey, params), said: { id: `import.${id}`, params } };
}

/** A line as the warnings quote it: trimmed, at most 60 characters. */
export const excerpt = (text: string) => (text.trim().length > 60 ? `${text.trim().slice(0, 59)}…` : text.trim());
