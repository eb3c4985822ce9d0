import { ui, type UiKey } from '../documents/ui-strings.js';
import { formMessage } from '../http/form-errors.js';
import type { FieldError } from '../lib/errors.js';
import { compact, formLines, formText } from '../http/pages.js';
import type { Locale } from '../lib/config.js';
import type { IncidentFields } from './convert.js';
import { WINDOW_FIELDS } from './schemas.js';

/**
 * The incident form (filing and editing use the same one): every section of the record as flat form
 * fields, rows (error ratios, timeline, actions) as repeated fields, lists one item a line. Converts
 * the posted form to the body the API takes, and a record back to form values.
 */
export type FormValues = Record<string, string | string[] | undefined>;

/** An error the form itself found, already in the person's words. */
type FormFieldError = FieldError & { inWords?: true };

/** All values of a repeated field, position kept (a row's cells line up across fields). */
function formAll(form: FormValues, name: string): string[] {
  const v = form[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((s) => String(s).trim());
}
const commaList = (form: FormValues, name: string) => formText(form, name).split(/[,，]/).map((s) => s.trim()).filter(Boolean);

/** A count typed with or without grouping ("1,496,160"); text that is no whole number stays text, for the schema to refuse. */
function count(text: string): number | string | undefined {
  const bare = text.replace(/[\s,，_]/g, '');
  if (!bare) return undefined;
  return /^\d+$/.test(bare) ? Number(bare) : text;
}

/** Rows of repeated fields: each row an object of its cells, rows whose typed cells are all empty dropped (a select always has a value). */
function rows<K extends string>(form: FormValues, cells: Record<K, string>, typed: K[] = Object.keys(cells) as K[]): { index: number; row: Record<K, string> }[] {
  const columns = Object.entries(cells).map(([key, name]) => [key, formAll(form, name as string)] as const);
  const n = Math.max(0, ...columns.map(([, v]) => v.length));
  const out: { index: number; row: Record<K, string> }[] = [];
  for (let i = 0; i < n; i++) {
    const row = Object.fromEntries(columns.map(([key, v]) => [key, v[i] ?? ''])) as Record<K, string>;
    if (typed.some((k) => row[k])) out.push({ index: out.length, row });
  }
  return out;
}

const RATIO_CELLS = { label: 'ratioLabel', totalRows: 'ratioTotal', errorRows: 'ratioErrors' };
const TIMELINE_CELLS = { at: 'timelineAt', text: 'timelineText' };
const ACTION_CELLS = { title: 'actionTitle', owner: 'actionOwner', priority: 'actionPriority', type: 'actionType', dueDate: 'actionDue' };
const ACTION_TYPED: (keyof typeof ACTION_CELLS)[] = ['title', 'owner', 'dueDate'];

/** "Title https://…" or a bare address, one a line. */
function links(form: FormValues) {
  return formLines(form, 'links').map((l) => {
    const m = /^(.*?)\s*(\S+:\/\/\S+)$/.exec(l);
    return m ? compact({ title: m[1], url: m[2] }) : { url: l };
  });
}

/**
 * The body POST /api/v1/incidents takes, from the form (with `actions` only when filing). A time and a
 * day given for one moment is the form's own error.
 */
export function incidentFromForm(form: FormValues, locale: Locale, withActions: boolean): { body: Record<string, unknown>; errors: FormFieldError[] } {
  const f = (name: string) => formText(form, name);
  const window: Record<string, string> = {};
  const errors: FormFieldError[] = [];
  for (const w of WINDOW_FIELDS) {
    const [time, day] = [f(w), f(`${w}Day`)];
    if (time && day) errors.push({ field: `window.${w}`, message: ui(locale, 'incidentNew.timeOrDay'), inWords: true });
    else if (time || day) window[w] = time || day;
  }
  const customerFacing = f('customerFacing');
  const body = compact({
    title: f('title'),
    severity: f('severity'),
    status: f('status'),
    timezone: f('timezone'),
    locale: f('locale'),
    owner: f('owner'),
    summary: f('summary'),
    services: commaList(form, 'services'),
    tags: commaList(form, 'tags'),
    detection: { source: f('detectionSource'), detail: f('detectionDetail') },
    window,
    impact: {
      summary: f('impact'),
      customerFacing: customerFacing ? customerFacing === 'yes' : undefined,
      errorRatios: rows(form, RATIO_CELLS).map(({ row }) => compact({ label: row.label, totalRows: count(row.totalRows), errorRows: count(row.errorRows) ?? 0 })),
    },
    cause: { trigger: f('trigger'), rootCauses: formLines(form, 'rootCauses'), contributingFactors: formLines(form, 'contributingFactors') },
    remediation: { summary: f('remediation'), timeline: rows(form, TIMELINE_CELLS).map(({ row }) => compact(row)) },
    dataRepair: {
      description: f('repairDescription'),
      range: f('repairFrom') || f('repairTo') ? { from: f('repairFrom'), to: f('repairTo') } : undefined,
      startedAt: f('repairStartedAt'),
      completedAt: f('repairCompletedAt'),
      rowsRepaired: count(f('repairRows')),
    },
    lessons: { wentWell: formLines(form, 'wentWell'), wentWrong: formLines(form, 'wentWrong'), gotLucky: formLines(form, 'gotLucky') },
    review: { participants: commaList(form, 'participants'), reportUrl: f('reportUrl') },
    links: links(form),
    actions: withActions ? rows(form, ACTION_CELLS, ACTION_TYPED).map(({ row }) => compact(row)) : [],
  });
  return { body, errors };
}

/** Form values showing a record, the inverse of incidentFromForm. */
export function formFromIncident(i: IncidentFields): FormValues {
  const day = (t?: string) => (t && !t.includes('T') ? t : '');
  const minute = (t?: string) => (t?.includes('T') ? t.slice(0, 16) : '');
  const window = Object.fromEntries(WINDOW_FIELDS.flatMap((w) => [[w, minute(i.window?.[w])], [`${w}Day`, day(i.window?.[w])]]));
  const ratios = i.impact?.errorRatios ?? [];
  const timeline = i.remediation?.timeline ?? [];
  return {
    title: i.title,
    severity: i.severity,
    status: i.status,
    timezone: i.timezone,
    locale: i.locale,
    owner: i.owner,
    summary: i.summary,
    services: i.services?.join(', '),
    tags: i.tags?.join(', '),
    detectionSource: i.detection?.source,
    detectionDetail: i.detection?.detail,
    ...window,
    impact: i.impact?.summary,
    customerFacing: i.impact?.customerFacing === undefined ? '' : i.impact.customerFacing ? 'yes' : 'no',
    ratioLabel: ratios.map((r) => r.label),
    ratioTotal: ratios.map((r) => String(r.totalRows)),
    ratioErrors: ratios.map((r) => String(r.errorRows)),
    trigger: i.cause?.trigger,
    rootCauses: i.cause?.rootCauses?.join('\n'),
    contributingFactors: i.cause?.contributingFactors?.join('\n'),
    remediation: i.remediation?.summary,
    timelineAt: timeline.map((e) => e.at.slice(0, 16)),
    timelineText: timeline.map((e) => e.text),
    repairDescription: i.dataRepair?.description,
    repairFrom: i.dataRepair?.range?.from,
    repairTo: i.dataRepair?.range?.to,
    repairStartedAt: i.dataRepair?.startedAt?.slice(0, 16),
    repairCompletedAt: i.dataRepair?.completedAt?.slice(0, 16),
    repairRows: i.dataRepair?.rowsRepaired === undefined ? '' : String(i.dataRepair.rowsRepaired),
    wentWell: i.lessons?.wentWell?.join('\n'),
    wentWrong: i.lessons?.wentWrong?.join('\n'),
    gotLucky: i.lessons?.gotLucky?.join('\n'),
    participants: i.review?.participants?.join(', '),
    reportUrl: i.review?.reportUrl,
    links: i.links?.map((l) => (l.title ? `${l.title} ${l.url}` : l.url)).join('\n'),
  };
}

/** The rows the form shows: those typed (or stored), then one empty row to add another without script. */
export function formRows(form: FormValues) {
  const blank = <K extends string>(cells: Record<K, string>) => Object.fromEntries(Object.keys(cells).map((k) => [k, ''])) as Record<K, string>;
  return {
    ratios: [...rows(form, RATIO_CELLS).map(({ row }) => row), blank(RATIO_CELLS)],
    timeline: [...rows(form, TIMELINE_CELLS).map(({ row }) => row), blank(TIMELINE_CELLS)],
    actions: [...rows(form, ACTION_CELLS, ACTION_TYPED).map(({ row }) => row), { ...blank(ACTION_CELLS), priority: 'medium', type: 'other' }],
  };
}

/**
 * The PATCH that turns the stored record into what the form says: every field sent, a field or a
 * section's key the form left empty sent as null (cleared).
 */
export function patchFromForm(current: IncidentFields, next: Record<string, unknown>, version: number): Record<string, unknown> {
  const patch: Record<string, unknown> = { version };
  for (const key of new Set([...Object.keys(current), ...Object.keys(next)])) {
    if (key === 'actions') continue;
    const [was, now] = [(current as Record<string, unknown>)[key], next[key]];
    if (now === undefined) {
      if (was !== undefined) patch[key] = null;
    } else if (isSection(now) && isSection(was)) {
      patch[key] = { ...Object.fromEntries(Object.keys(was).map((k) => [k, null])), ...now };
    } else patch[key] = now;
  }
  return patch;
}
const isSection = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where an error on an API field is shown on the form (the input's name), and the label it is called by. */
const FORM_FIELDS: [apiPath: string, formField: string, label: UiKey, rows?: true][] = [
  ['window.startedAt', 'startedAt', 'window.startedAt'],
  ['window.detectedAt', 'detectedAt', 'window.detectedAt'],
  ['window.mitigatedAt', 'mitigatedAt', 'window.mitigatedAt'],
  ['window.resolvedAt', 'resolvedAt', 'window.resolvedAt'],
  ['impact.summary', 'impact', 'incidentNew.impact'],
  ['impact.errorRatios', 'ratios', 'form.errorRatios', true],
  ['cause.trigger', 'trigger', 'incidentNew.trigger'],
  ['cause.rootCauses', 'rootCauses', 'incidentNew.rootCauses'],
  ['cause.contributingFactors', 'contributingFactors', 'form.contributingFactors'],
  ['remediation.timeline', 'timeline', 'form.timeline', true],
  ['remediation.summary', 'remediation', 'incidentNew.remediation'],
  ['dataRepair.range', 'repairRange', 'form.repairRange'],
  ['dataRepair.startedAt', 'repairStartedAt', 'form.repairStartedAt'],
  ['dataRepair.completedAt', 'repairCompletedAt', 'form.repairCompletedAt'],
  ['dataRepair.rowsRepaired', 'repairRows', 'form.repairRows'],
  ['dataRepair', 'repairDescription', 'form.repairDescription'],
  ['detection', 'detectionSource', 'form.detectionSource'],
  ['lessons', 'lessons', 'form.lessons'],
  ['review.reportUrl', 'reportUrl', 'form.reportUrl'],
  ['review', 'participants', 'form.participants'],
  ['links', 'links', 'form.links'],
  ['actions', 'actions', 'form.actions', true],
  ['services', 'services', 'incidentNew.services'],
  ['tags', 'tags', 'form.tags'],
  ['owner', 'owner', 'col.owner'],
  ['summary', 'summary', 'form.summary'],
  ['title', 'title', 'col.title'],
  ['severity', 'severity', 'col.severity'],
  ['status', 'status', 'col.status'],
  ['timezone', 'timezone', 'incidentNew.timezone'],
  ['locale', 'locale', 'form.locale'],
];

const fieldOf = (path: string) => FORM_FIELDS.find(([p]) => path === p || path.startsWith(`${p}.`));

/** The column headings of the form's rows, by the API field of a cell, so a cell's error names its column. */
const ROW_COLUMNS: Record<string, Partial<Record<string, UiKey>>> = {
  'impact.errorRatios': { label: 'form.ratioLabel', totalRows: 'form.ratioTotal', errorRows: 'form.ratioErrors' },
  'remediation.timeline': { at: 'form.timelineAt', text: 'form.timelineText' },
  actions: { title: 'col.title', owner: 'col.owner', priority: 'col.priority', type: 'col.type', dueDate: 'col.due' },
};

/** Field errors by form input, each in the person's words next to its input; the rest (none expected) in the box at the top. */
export function formErrors(fields: FieldError[], locale: Locale): { byField: Record<string, string>; other: string[] } {
  const byField: Record<string, string> = {};
  const other: string[] = [];
  const label = (path: string) => {
    const match = fieldOf(path);
    return match ? ui(locale, match[2]) : path;
  };
  for (const e of fields) {
    const match = fieldOf(e.field);
    const message = (e as FormFieldError).inWords ? e.message : formMessage(e, locale, label);
    if (!match) {
      other.push(message);
      continue;
    }
    const [path, name, , hasRows] = match;
    const [, index, cell] = /^\.(\d+)(?:\.(\w+))?/.exec(e.field.slice(path.length)) ?? [];
    const column = cell ? ROW_COLUMNS[path]?.[cell] : undefined;
    const n = Number(index) + 1;
    const text = !hasRows || index === undefined ? message : column ? ui(locale, 'form.rowCell', { column: ui(locale, column), n, message }) : `${ui(locale, 'form.row', { n })}: ${message}`;
    byField[name] = byField[name] ? `${byField[name]}; ${text}` : text;
  }
  return { byField, other };
}

/** What changed in the record between two versions, by the labels the form shows, for a stale save. */
export function changedLabels(paths: string[], locale: Locale): string[] {
  return [...new Set(paths.map((p) => (fieldOf(p) ? ui(locale, fieldOf(p)![2]) : p)))];
}
