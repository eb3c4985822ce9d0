import { z } from 'zod';
import { CLOSED_ACTION_STATUSES } from '../actions/schemas.js';
import { durations, errorRatio, impactBounds } from '../incidents/convert.js';
import type { IncidentDoc } from '../incidents/model.js';
import type { Instant } from '../lib/time.js';

/**
 * What a document template sees. The renderer's data is parsed with this schema, and
 * GET /templates/variables is generated from it, so the documentation cannot drift from the data.
 */
const instant = z
  .object({
    at: z.string().describe('ISO 8601 instant in UTC'),
    precision: z.enum(['minute', 'day']).describe('"day" when only the date is known'),
  })
  .describe('A point in time; show it with {{time x}} (full), {{time x "short"}} (2/14 12:04) or {{timeRange from to}}');

const span = z
  .object({
    minutes: z.number().describe('length in minutes'),
    approximate: z.boolean().describe('true when an end is known only to the day'),
    iso: z.string().describe('ISO 8601 duration'),
  })
  .describe('A duration; show it with {{duration x}} (1 h 2 min, about 5 d 12 h 4 min)');

const texts = (description: string) => z.array(z.string()).default([]).describe(description);

const action = z.object({
  key: z.string().describe('e.g. INC-2023-0002-A1'),
  title: z.string(),
  description: z.string().optional(),
  type: z.string().describe('mitigate, prevent, detect, process or other; {{term "actionType" type}}'),
  priority: z.string().describe('high, medium or low; {{term "priority" priority}}'),
  status: z.string().describe('{{term "actionStatus" status}}'),
  owner: z.string().nullable().describe('e-mail of the owner; null when nobody owns it yet (show that visibly)'),
  unowned: z.boolean(),
  dueDate: z.string().optional().describe('calendar date yyyy-MM-dd; {{time dueDate "date"}}'),
  overdue: z.boolean(),
});

export const documentData = z.object({
  generatedAt: instant.describe('When the document was rendered (the clock of the service), to the minute'),
  live: z.boolean().optional().describe('true on the incident web page, which lists the actions itself and is never stale: leave out the action table and the generated time'),
  incident: z.object({
    key: z.string().describe('e.g. INC-2023-0002'),
    title: z.string(),
    summary: z.string().optional(),
    severity: z.string(),
    status: z.string().describe('{{term "incidentStatus" status}}'),
    timezone: z.string().describe('IANA time zone every time is shown in'),
    locale: z.string().describe("the incident's own locale (the document's is @locale)"),
    services: texts('affected services'),
    tags: texts('tags'),
    owner: z.string().optional(),
    reporter: z.string().optional(),
    detection: z
      .object({
        source: z.string().optional().describe('{{term "detectionSource" source}}'),
        detail: z.string().optional().describe('how it was noticed, in the reporter\'s words'),
        reported: z.boolean().describe('true when people (business or customers) reported it, in their words in detail, rather than our monitoring'),
      })
      .optional(),
    window: z.object({
      startedAt: instant.optional(),
      detectedAt: instant.optional(),
      mitigatedAt: instant.optional(),
      resolvedAt: instant.optional(),
    }),
    impactWindow: z
      .object({ from: instant, until: instant.optional().describe('missing while customers are still affected') })
      .optional()
      .describe('When customers were affected: started (or detected) → mitigated (or resolved), the span impactDuration measures'),
    durations: z
      .object({
        timeToDetect: span.optional().describe('started → detected'),
        timeToMitigate: span.optional().describe('started → mitigated'),
        timeToResolve: span.optional().describe('started → resolved'),
        impactDuration: span.optional().describe('how long customers were affected: started (or detected) → mitigated (or resolved); the same number the reports count'),
        dataRepair: span.optional().describe('data repair started → completed'),
      })
      .describe('Derived from the time window'),
    impact: z.object({
      summary: z.string().optional(),
      customerFacing: z.boolean().optional(),
      affected: z.array(z.object({ label: z.string(), count: z.number() })).default([]),
      errorRatios: z
        .array(
          z.object({
            label: z.string(),
            totalRows: z.number().describe('{{number totalRows}} → 1,496,160'),
            errorRows: z.number(),
            ratio: z.number().describe('errorRows / totalRows; {{percent ratio 3}} → 0.410%'),
          }),
        )
        .default([]),
    }),
    cause: z.object({
      trigger: z.string().optional(),
      rootCauses: texts('root causes'),
      contributingFactors: texts('contributing factors'),
    }),
    remediation: z.object({
      summary: z.string().optional(),
      withoutRepair: z
        .string()
        .optional()
        .describe('the summary without its clauses (split at ；) that name the data repair, ending unpunctuated: for writing the repair inline with its times, as the seed reports do; set when the data repair has a description and a start'),
      timeline: z.array(z.object({ at: instant, text: z.string() })).default([]).describe('in time order'),
    }),
    dataRepair: z
      .object({
        description: z.string().optional(),
        range: z.object({ from: z.string(), to: z.string() }).optional().describe('calendar dates of the data repaired'),
        startedAt: instant.optional(),
        completedAt: instant.optional(),
        rowsRepaired: z.number().optional(),
      })
      .optional(),
    lessons: z.object({
      wentWell: texts('what went well'),
      wentWrong: texts('what went wrong'),
      gotLucky: texts('where we got lucky'),
    }),
    review: z.object({ participants: texts('teams or people in the review'), reportUrl: z.string().optional() }),
    links: z.array(z.object({ title: z.string().optional(), url: z.string() })).default([]),
    actions: z.array(action).default([]).describe('corrective actions, in order'),
    openActions: z.number().describe('actions not yet done, verified or declined'),
    unownedActions: z.number().describe('open actions nobody owns yet'),
  }),
});
export type DocumentData = z.output<typeof documentData>;

const REPORTED_SOURCES = new Set(['business_report', 'customer_report']);

const toValue = (i: Instant) => ({ at: i.at.toISOString(), precision: i.precision });
const opt = <T, R>(v: T | undefined, f: (v: T) => R) => (v === undefined ? undefined : f(v));

/** Builds a template's data from the stored incident and its actions (as the actions service lists them). */
export function buildDocumentData(doc: IncidentDoc, actions: unknown[], now: Date): DocumentData {
  const window = doc.window ?? {};
  const open = (actions as { status: string; owner?: string | null }[]).filter((a) => !(CLOSED_ACTION_STATUSES as readonly string[]).includes(a.status));
  return documentData.parse({
    // To the minute, as its precision says: a document rendered twice within a minute reads the same (RenderedDocuments).
    generatedAt: { at: new Date(Math.floor(now.getTime() / 60_000) * 60_000).toISOString(), precision: 'minute' },
    incident: {
      ...doc,
      detection: opt(doc.detection, (d) => ({ ...d, reported: REPORTED_SOURCES.has(d.source ?? '') && !!d.detail })),
      window: {
        startedAt: opt(window.startedAt, toValue),
        detectedAt: opt(window.detectedAt, toValue),
        mitigatedAt: opt(window.mitigatedAt, toValue),
        resolvedAt: opt(window.resolvedAt, toValue),
      },
      impactWindow: opt(impactBounds(doc), (b) => ({ from: toValue(b.from), until: opt(b.until, toValue) })),
      durations: durations(doc),
      impact: { ...doc.impact, errorRatios: doc.impact?.errorRatios?.map((r) => ({ ...r, ratio: errorRatio(r) })) },
      cause: doc.cause ?? {},
      remediation: { ...doc.remediation, withoutRepair: withoutRepair(doc), timeline: doc.remediation?.timeline?.map((e) => ({ at: toValue(e.at), text: e.text })) },
      dataRepair: opt(doc.dataRepair, (d) => ({ ...d, startedAt: opt(d.startedAt, toValue), completedAt: opt(d.completedAt, toValue) })),
      lessons: doc.lessons ?? {},
      review: doc.review ?? {},
      actions,
      openActions: open.length,
      unownedActions: open.filter((a) => !a.owner).length,
    },
  });
}

/** The remediation summary minus the clauses about the data repair, which a template then writes with its times. */
function withoutRepair(doc: IncidentDoc): string | undefined {
  const summary = doc.remediation?.summary;
  const repair = doc.dataRepair?.description;
  if (!summary || !repair || !doc.dataRepair?.startedAt) return undefined;
  return summary
    .split(/[；;]/)
    .map((c) => c.trim().replace(/[。.]$/, ''))
    .filter((c) => c && !c.includes(repair))
    .join('；');
}

export interface VariableDoc {
  path: string;
  type: string;
  required: boolean;
  description?: string;
}

/** Every variable path a template can use, with its type and meaning, read off the schema. */
export function describeVariables(): VariableDoc[] {
  const out: VariableDoc[] = [];
  const walk = (node: JsonSchema, path: string, required: boolean) => {
    const variants = node.anyOf ?? [node];
    const types = variants.map((v) => (v.type === 'array' ? `${v.items?.type ?? 'any'}[]` : (v.enum ? v.enum.map((e) => JSON.stringify(e)).join(' | ') : v.type ?? 'any')));
    if (path) out.push({ path, type: types.join(' | '), required, ...(node.description ? { description: node.description } : {}) });
    for (const v of variants) {
      // Items of a list are documented as list[].field
      const obj = v.type === 'array' ? v.items : v;
      const prefix = v.type === 'array' ? `${path}[]` : path;
      for (const [key, child] of Object.entries(obj?.properties ?? {})) walk(child, prefix ? `${prefix}.${key}` : key, (obj?.required ?? []).includes(key));
    }
  };
  walk(z.toJSONSchema(documentData, { io: 'output' }) as JsonSchema, '', true);
  return out;
}

interface JsonSchema {
  type?: string;
  description?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
}
