import { randomBytes } from 'node:crypto';
import { Conflict, NotFound, staleVersion } from '../lib/errors.js';
import type { Actor } from '../http/actor.js';
import type { AuditService } from '../audit/service.js';
import type { Clock } from '../lib/clock.js';
import { slackInteractionsPath, type ChannelDoc, type ChannelEvent, type ChannelKind, type ChannelModel } from './model.js';
import type { ChannelView, CreateChannelInput, PatchChannelInput } from './schemas.js';
import type { SecretBox } from './secrets.js';

/**
 * Kinds with a secret: the robots that sign posts with it (the others carry their credential in the
 * address), and Slack, whose app signs its button clicks with its signing secret.
 */
const SIGNED: readonly ChannelKind[] = ['feishu', 'dingtalk', 'slack', 'webhook'];

/** What admins see of an address: its key or token (in the query, or the hook's last path segment) left out. */
function endpointOf(kind: ChannelKind, url: string): string {
  const u = new URL(url);
  if (kind === 'wecom' || kind === 'dingtalk') return `${u.origin}${u.pathname}`;
  const segments = u.pathname.split('/');
  if (kind !== 'webhook' && segments.length > 2) segments[segments.length - 1] = '…';
  return `${u.origin}${segments.join('/')}`;
}

export function channelView(d: ChannelDoc): ChannelView {
  return {
    id: d._id,
    name: d.name,
    kind: d.kind,
    endpoint: d.endpoint,
    hasSecret: !!d.sealedSecret,
    ...(d.kind === 'slack' ? { interactionsPath: slackInteractionsPath(d._id) } : {}),
    events: d.events,
    route: { services: d.route?.services ?? [], teams: d.route?.teams ?? [], severities: d.route?.severities ?? [] },
    ...(d.locale ? { locale: d.locale as ChannelView['locale'] } : {}),
    disabled: d.disabled,
    version: d.version,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}

/** How long this process keeps the channel list for events: another process's change shows within it. */
const KEPT_MS = 30_000;

/** Chat channels: admins keep them; events read the enabled ones routed to an incident. */
export class ChannelsService {
  /** The list as last read, for events (filing, status, …), so a request does not read it each time. Cleared by this process's writes; expires after KEPT_MS. */
  private kept: { docs: ChannelDoc[]; until: number } | undefined;

  constructor(private readonly deps: { channels: ChannelModel; box: SecretBox; audit: AuditService; clock: Clock }) {}

  /** Every channel: a handful an admin keeps, never history, so one read of the small collection. */
  async all(): Promise<ChannelDoc[]> {
    const docs = await this.deps.channels.find({}).lean<ChannelDoc[]>();
    const sorted = docs.sort((a, b) => a.name.localeCompare(b.name) || a._id.localeCompare(b._id));
    this.kept = { docs: sorted, until: this.deps.clock.now().getTime() + KEPT_MS };
    return sorted;
  }

  /** The list for events: the kept one while fresh. */
  private async forEvents(): Promise<ChannelDoc[]> {
    return this.kept && this.kept.until > this.deps.clock.now().getTime() ? this.kept.docs : this.all();
  }

  async list(): Promise<ChannelView[]> {
    return (await this.all()).map(channelView);
  }

  async find(id: string): Promise<ChannelDoc> {
    const doc = await this.deps.channels.findById(id).lean<ChannelDoc>();
    if (!doc) throw new NotFound(`Channel ${id}`);
    return doc;
  }

  async create(input: CreateChannelInput, actor: Actor): Promise<ChannelView> {
    const { box, clock } = this.deps;
    this.checkSecret(input.kind, input.secret);
    const now = clock.now();
    const doc: ChannelDoc = {
      _id: `ch-${randomBytes(6).toString('hex')}`,
      name: input.name,
      kind: input.kind,
      endpoint: endpointOf(input.kind, input.url),
      sealedUrl: box.seal(input.url, 'url'),
      ...(input.secret ? { sealedSecret: box.seal(input.secret) } : {}),
      events: [...new Set(input.events)],
      route: input.route,
      ...(input.locale ? { locale: input.locale } : {}),
      disabled: input.disabled,
      version: 0,
      createdAt: now,
      updatedAt: now,
    };
    await this.deps.channels.create(doc);
    this.kept = undefined;
    await this.deps.audit.record(actor, { entity: 'channel', key: doc._id, event: 'created', note: `${doc.kind} ${doc.name}` });
    return channelView(doc);
  }

  async update(id: string, patch: PatchChannelInput, actor: Actor): Promise<ChannelView> {
    const { box, clock } = this.deps;
    const doc = await this.find(id);
    if (patch.version !== doc.version) throw staleVersion(`Channel ${id}`, patch.version, doc.version);
    if (patch.secret) this.checkSecret(doc.kind, patch.secret);
    const next: ChannelDoc = {
      ...doc,
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.url !== undefined ? { endpoint: endpointOf(doc.kind, patch.url), sealedUrl: box.seal(patch.url, 'url') } : {}),
      ...(patch.events !== undefined ? { events: [...new Set(patch.events)] } : {}),
      ...(patch.route !== undefined ? { route: patch.route } : {}),
      ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
      version: doc.version + 1,
      updatedAt: clock.now(),
    };
    if (patch.secret) next.sealedSecret = box.seal(patch.secret);
    if (patch.secret === null) delete next.sealedSecret;
    if (patch.locale) next.locale = patch.locale;
    if (patch.locale === null) delete next.locale;
    // Conditional on the version read: a concurrent edit that won leaves this one matching nothing.
    const written = await this.deps.channels.replaceOne({ _id: id, version: doc.version }, next);
    this.kept = undefined;
    if (written.matchedCount === 0) throw staleVersion(`Channel ${id}`, patch.version, (await this.find(id)).version);
    await this.deps.audit.record(actor, { entity: 'channel', key: id, event: 'updated', note: Object.keys(patch).filter((k) => k !== 'version' && k !== 'secret').join(', ') + (patch.secret !== undefined ? ' (secret changed)' : '') });
    return channelView(next);
  }

  async remove(id: string, actor: Actor): Promise<ChannelView> {
    const doc = await this.find(id);
    await this.deps.channels.deleteOne({ _id: id });
    this.kept = undefined;
    await this.deps.audit.record(actor, { entity: 'channel', key: id, event: 'removed', note: doc.name });
    return channelView(doc);
  }

  /** The enabled channels that take `event` for an incident with these services, severity and owner's team. */
  async routed(event: ChannelEvent, incident: { services?: string[]; severity: string }, team: string | undefined): Promise<ChannelDoc[]> {
    return (await this.forEvents()).filter((c) => !c.disabled && c.events.includes(event) && routes(c, incident, team));
  }

  private checkSecret(kind: ChannelKind, secret: string | undefined): void {
    if (secret && !SIGNED.includes(kind)) {
      throw new Conflict(`A ${kind} channel has no secret: its key is part of its address`, { field: 'secret' });
    }
  }
}

/** Empty route lists take every incident; otherwise a match on any listed service, team or severity. */
export function routes(c: ChannelDoc, incident: { services?: string[]; severity: string }, team: string | undefined): boolean {
  const { services = [], teams = [], severities = [] } = c.route ?? {};
  if (!services.length && !teams.length && !severities.length) return true;
  return (
    (incident.services ?? []).some((s) => services.includes(s)) || (team !== undefined && teams.includes(team)) || severities.includes(incident.severity)
  );
}
