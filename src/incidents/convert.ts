import { formatInstant, parseInstant, span, type Instant, type Span } from '../lib/time.js';
import type { IncidentDoc } from './model.js';
import { WINDOW_FIELDS, type CreateIncidentInput } from './schemas.js';

/** The editable part of an incident in the API's own terms (local times as text), without actions. */
export type IncidentFields = Omit<CreateIncidentInput, 'actions'>;

/** Stored fields that an edit may change (everything but identity and bookkeeping). */
export type StoredFields = Omit<IncidentDoc, '_id' | 'key' | 'year' | 'seq' | 'version' | 'createdAt' | 'updatedAt' | 'closedAt'>;

const opt = <T, R>(value: T | undefined | null, f: (v: T) => R): R | undefined => (value === undefined || value === null ? undefined : f(value));

/** API fields → stored document fields, reading local times in the incident's time zone. */
export function toStored(input: IncidentFields & { timezone: string; locale: string; severity: string }): StoredFields {
  const zone = input.timezone;
  const at = (text: string): Instant => parseInstant(text, zone);
  const window = input.window
    ? Object.fromEntries(WINDOW_FIELDS.filter((f) => input.window![f]).map((f) => [f, at(input.window![f]!)]))
    : undefined;
  return stripUndefined({
    title: input.title,
    summary: input.summary,
    severity: input.severity,
    status: input.status,
    timezone: zone,
    locale: input.locale,
    services: input.services,
    tags: input.tags,
    owner: input.owner,
    reporter: input.reporter,
    detection: input.detection,
    window,
    impact: input.impact,
    cause: input.cause,
    remediation: opt(input.remediation, (r) => ({
      ...r,
      timeline: opt(r.timeline, (t) =>
        t.map((e) => ({ at: at(e.at), text: e.text })).sort((a, b) => a.at.at.getTime() - b.at.at.getTime()),
      ),
    })),
    dataRepair: opt(input.dataRepair, (d) => ({
      ...d,
      startedAt: opt(d.startedAt, at),
      completedAt: opt(d.completedAt, at),
    })),
    lessons: input.lessons,
    review: input.review,
    links: input.links,
    source: input.source,
  }) as StoredFields;
}

/** Stored document → API fields; the inverse of toStored. */
export function toFields(doc: IncidentDoc): IncidentFields & { timezone: string; locale: string; severity: string } {
  const zone = doc.timezone;
  const local = (i: Instant) => formatInstant(i, zone);
  const window = doc.window
    ? Object.fromEntries(WINDOW_FIELDS.filter((f) => doc.window![f]).map((f) => [f, local(doc.window![f]!)]))
    : undefined;
  return stripUndefined({
    title: doc.title,
    summary: doc.summary,
    severity: doc.severity,
    status: doc.status,
    timezone: zone,
    locale: doc.locale as IncidentFields['locale'] & string,
    services: doc.services,
    tags: doc.tags,
    owner: doc.owner,
    reporter: doc.reporter,
    detection: doc.detection as IncidentFields['detection'],
    window,
    impact: doc.impact,
    cause: doc.cause,
    remediation: opt(doc.remediation, (r) => ({
      ...r,
      timeline: opt(r.timeline, (t) => t.map((e) => ({ at: local(e.at), text: e.text }))),
    })),
    dataRepair: opt(doc.dataRepair, (d) => ({
      ...d,
      startedAt: opt(d.startedAt, local),
      completedAt: opt(d.completedAt, local),
    })),
    lessons: doc.lessons,
    review: doc.review,
    links: doc.links,
    source: doc.source,
  }) as IncidentFields & { timezone: string; locale: string; severity: string };
}

export interface Durations {
  timeToDetect?: Span;
  timeToMitigate?: Span;
  timeToResolve?: Span;
  impactDuration?: Span;
  dataRepair?: Span;
}

/**
 * The one definition of how long customers were affected, used by the postmortem, the weekly entry,
 * the period report, availability and the API: from the start (the detection when the start is
 * unknown) to the mitigation (the resolution when no mitigation is recorded). Mitigation ends the
 * impact because customers are no longer affected once it holds; what remains until resolution is
 * clean-up. `until` is missing while the impact goes on.
 */
export function impactBounds(doc: Pick<IncidentDoc, 'window'>): { from: Instant; until?: Instant } | undefined {
  const w = doc.window ?? {};
  const from = w.startedAt ?? w.detectedAt;
  return from && { from, until: w.mitigatedAt ?? w.resolvedAt };
}

/** Durations derived from the time window; approximate when a day-precision time is involved. */
export function durations(doc: Pick<IncidentDoc, 'window' | 'dataRepair'>): Durations {
  const w = doc.window ?? {};
  const impact = impactBounds(doc);
  return stripUndefined({
    timeToDetect: span(w.startedAt, w.detectedAt),
    timeToMitigate: span(w.startedAt, w.mitigatedAt),
    timeToResolve: span(w.startedAt, w.resolvedAt),
    impactDuration: span(impact?.from, impact?.until),
    dataRepair: span(doc.dataRepair?.startedAt, doc.dataRepair?.completedAt),
  });
}

export function errorRatio(r: { totalRows: number; errorRows: number }): number {
  return r.errorRows / r.totalRows;
}

/**
 * Views of the records the read model holds, which are never changed in place (an edit brings a new
 * object): lists show the same incidents again and again, and a view costs time-zone arithmetic.
 */
const views = new WeakMap<IncidentDoc, ReturnType<typeof buildView>>();

/** The API's view of an incident: its fields, derived values and bookkeeping. Shared: callers copy before changing it. */
export function toView(doc: IncidentDoc): IncidentView {
  let view = views.get(doc);
  if (!view) views.set(doc, (view = buildView(doc)));
  return view;
}

function buildView(doc: IncidentDoc) {
  const fields = toFields(doc);
  const instants = Object.fromEntries(
    WINDOW_FIELDS.filter((f) => doc.window?.[f]).map((f) => [f, { at: doc.window![f]!.at.toISOString(), precision: doc.window![f]!.precision }]),
  );
  return {
    id: String(doc._id),
    key: doc.key,
    ...fields,
    impact: fields.impact && {
      ...fields.impact,
      errorRatios: fields.impact.errorRatios?.map((r) => ({ ...r, ratio: errorRatio(r) })),
    },
    instants,
    durations: durations(doc),
    closedAt: doc.closedAt?.toISOString(),
    version: doc.version,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}
export type IncidentView = ReturnType<typeof buildView>;

/** Drops undefined values so stored documents and views carry only what was said. */
function stripUndefined<T extends Record<string, unknown>>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}
