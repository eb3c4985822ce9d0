import type { IncidentDoc } from '../incidents/model.js';
import type { Clock } from '../lib/clock.js';
import { setBounded } from '../lib/maps.js';
import { buildDocumentData } from './data.js';
import type { Format, Renderer } from './renderer.js';

/** An action as the actions service shows it: what a document lists, and what tells its state apart. */
type ActionShown = { key: string; version: number; overdue: boolean };

/** How many renderings are kept: a few pages' worth of incidents, each in the forms asked for. */
const KEPT = 500;
/** Longer renderings (a team template over a huge incident) are not kept, so the kept ones hold at most KEPT × this. */
const KEPT_CHARS = 100_000;

/**
 * An incident's documents rendered from the read model's record of it. Documents say when they were
 * generated to the minute, and the read model replaces a record whenever it changes, so the same record
 * with the same actions, template, locale, format and zone renders the same text all minute: the text
 * is kept and rendered once (the incident page, the API and the weekly report ask for the same ones
 * again and again).
 */
export class RenderedDocuments {
  private readonly kept = new Map<string, { doc: IncidentDoc; text: string }>();

  constructor(private readonly deps: { renderer: Renderer; clock: Clock }) {}

  render(doc: IncidentDoc, actions: ActionShown[], req: { name: string; locale: string; format: Format; timezone: string; live?: boolean }): string {
    const now = this.deps.clock.now();
    const minute = Math.floor(now.getTime() / 60_000);
    const shown = actions.map((a) => `${a.key}:${a.version}:${a.overdue}`).join(',');
    const key = [String(doc._id), doc.version, req.name, req.locale, req.format, req.timezone, req.live ?? false, minute, shown].join('|');
    const hit = this.kept.get(key);
    // The very record asked for: one reloaded at the same version (a roll-forward, a repair) renders afresh.
    if (hit?.doc === doc) return hit.text;
    const data = { ...buildDocumentData(doc, actions, now), ...(req.live ? { live: true } : {}) };
    const text = this.deps.renderer.render({ kind: 'documents', name: req.name, locale: req.locale, format: req.format, data, timezone: req.timezone });
    if (text.length <= KEPT_CHARS) setBounded(this.kept, key, { doc, text }, KEPT);
    return text;
  }
}
