import type { ActionsService } from '../actions/service.js';
import type { IncidentsService } from '../incidents/service.js';
import type { IncidentDoc } from '../incidents/model.js';
import { isDuplicateKey } from '../lib/db.js';
import type { Clock } from '../lib/clock.js';
import { Conflict, NotFound, Unprocessable } from '../lib/errors.js';
import { buildDocumentData, describeVariables, type DocumentData } from './data.js';
import { snapshotId, type SnapshotDoc, type SnapshotModel } from './model.js';
import type { RenderedDocuments } from './rendered.js';
import { HELPERS } from './helpers.js';
import { TemplateError, TemplateNotFound, type Format, type Renderer } from './renderer.js';
import type { DocumentQuery, PreviewInput, SnapshotInput } from './schemas.js';

const CONTENT_TYPES: Record<Format, string> = {
  md: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
};
const MAX_NUMBER_ATTEMPTS = 50;

export class DocumentsService {
  constructor(
    private readonly deps: { incidents: IncidentsService; actions: ActionsService; snapshots: SnapshotModel; renderer: Renderer; rendered: RenderedDocuments; clock: Clock },
  ) {}

  /** An incident's document as text, rendered from the current record. */
  async render(keyOrId: string, q: DocumentQuery): Promise<{ text: string; contentType: string }> {
    const doc = await this.deps.incidents.find(keyOrId);
    const actions = await this.deps.actions.listForIncident(doc._id);
    return { text: this.renderKept(doc, actions, { template: q.template, locale: q.locale ?? doc.locale, format: q.format }), contentType: CONTENT_TYPES[q.format] };
  }

  /**
   * The postmortem as the incident page shows it (marked live, not frozen), from the records the page
   * has read already; a broken template is a 422 naming it, as on the API.
   */
  renderLive(doc: IncidentDoc, actions: Parameters<RenderedDocuments['render']>[1], locale: string): string {
    return this.renderKept(doc, actions, { template: 'postmortem', locale, format: 'md', live: true });
  }

  private renderKept(doc: IncidentDoc, actions: Parameters<RenderedDocuments['render']>[1], q: { template: string; locale: string; format: Format; live?: boolean }): string {
    try {
      return this.deps.rendered.render(doc, actions, { name: q.template, locale: q.locale, format: q.format, timezone: doc.timezone, live: q.live });
    } catch (err) {
      throw asHttpError(err, 'template');
    }
  }

  /** A template being written, rendered against an incident; its errors are 422s on `body`. */
  async preview(input: PreviewInput): Promise<{ locale: string; format: Format; output: string; html?: string }> {
    const { doc, data } = await this.load(input.key);
    const locale = input.locale ?? doc.locale;
    try {
      return { locale, format: input.format, ...this.deps.renderer.renderSource(input.body, { name: 'preview', locale, format: input.format, data, timezone: doc.timezone }) };
    } catch (err) {
      throw asHttpError(err, 'body');
    }
  }

  templates() {
    return { items: this.deps.renderer.list() };
  }

  variables() {
    return {
      variables: describeVariables(),
      frame: [
        { path: '@locale', description: 'the locale being rendered' },
        { path: '@timezone', description: 'the time zone times are shown in (the incident\'s)' },
      ],
      helpers: Object.entries(HELPERS).map(([name, h]) => ({ name, usage: h.usage, description: h.description })),
    };
  }

  /**
   * Freezes renderings as the incident's next numbered snapshot (the review workflow publishes these).
   * Everything is rendered first, so a broken template leaves no snapshot behind.
   */
  async freeze(keyOrId: string, input: SnapshotInput, actor: { email: string }) {
    const { doc, data } = await this.load(keyOrId);
    const renderings = input.renderings.map((r) => {
      const q = { template: r.template, locale: r.locale ?? doc.locale, format: r.format };
      return { ...q, text: this.renderDoc(doc, data, q) };
    });
    let number = (await this.numbers(doc)).length + 1;
    for (let attempt = 0; attempt < MAX_NUMBER_ATTEMPTS; attempt++, number++) {
      try {
        const created = await this.deps.snapshots.create({
          _id: snapshotId(doc._id, number),
          incidentId: doc._id,
          incidentKey: doc.key,
          number,
          incidentVersion: doc.version,
          note: input.note,
          renderings,
          data,
          createdBy: actor.email,
          createdAt: this.deps.clock.now(),
        });
        return toView(created.toObject() as SnapshotDoc);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
    throw new Conflict(`Could not number a snapshot of ${doc.key} under heavy concurrent freezing; retry`);
  }

  async listSnapshots(keyOrId: string) {
    const doc = await this.deps.incidents.find(keyOrId);
    const found = await Promise.all((await this.numbers(doc)).map((n) => this.deps.snapshots.findById(snapshotId(doc._id, n)).select('-data').lean<SnapshotDoc>()));
    const docs = found.filter((s): s is SnapshotDoc => s !== null);
    return {
      items: docs.map((s) => {
        const { renderings, ...rest } = toView(s);
        return { ...rest, renderings: renderings.map(({ text: _t, ...r }) => r) };
      }),
    };
  }

  /** The numbers of an incident's snapshots: 1, 2, … up to the first not taken (they are numbered without gaps). */
  private async numbers(doc: IncidentDoc): Promise<number[]> {
    const out: number[] = [];
    while (await this.deps.snapshots.exists({ _id: snapshotId(doc._id, out.length + 1) })) out.push(out.length + 1);
    return out;
  }

  async getSnapshot(keyOrId: string, n: number) {
    const doc = await this.deps.incidents.find(keyOrId);
    const snapshot = await this.deps.snapshots.findById(snapshotId(doc._id, n)).lean<SnapshotDoc>();
    if (!snapshot) throw new NotFound(`Snapshot ${n} of ${doc.key}`);
    return toView(snapshot);
  }

  private async load(keyOrId: string): Promise<{ doc: IncidentDoc; data: DocumentData }> {
    const doc = await this.deps.incidents.find(keyOrId);
    const actions = await this.deps.actions.listForIncident(doc._id);
    return { doc, data: buildDocumentData(doc, actions, this.deps.clock.now()) };
  }

  private renderDoc(doc: IncidentDoc, data: DocumentData, q: { template: string; locale?: string; format: Format }): string {
    try {
      return this.deps.renderer.render({ kind: 'documents', name: q.template, locale: q.locale ?? doc.locale, format: q.format, data, timezone: doc.timezone });
    } catch (err) {
      throw asHttpError(err, 'template');
    }
  }
}

function toView(s: SnapshotDoc) {
  return {
    incidentKey: s.incidentKey,
    number: s.number,
    incidentVersion: s.incidentVersion,
    note: s.note,
    createdBy: s.createdBy,
    createdAt: s.createdAt.toISOString(),
    renderings: s.renderings,
    data: s.data,
  };
}

/** Template problems are the template author's to fix: 422 naming the template and line. */
function asHttpError(err: unknown, field: string): unknown {
  if (err instanceof TemplateNotFound) return new Unprocessable(err.message, [{ field, message: 'no such template' }], { available: err.available });
  if (!(err instanceof TemplateError)) return err;
  const where = `${err.template}${err.line ? ` line ${err.line}` : ''}`;
  return new Unprocessable(`Template ${where}: ${err.reason}`, [{ field, message: `${where}: ${err.reason}` }], {
    template: err.template,
    line: err.line,
  });
}
