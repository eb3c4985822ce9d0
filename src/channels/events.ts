import Handlebars from 'handlebars';
import type { ActionsService } from '../actions/service.js';
import { formatList, formatTime, term, type InstantValue } from '../documents/format.js';
import { ui } from '../documents/ui-strings.js';
import type { IncidentDoc } from '../incidents/model.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type { Instant } from '../lib/time.js';
import type { NewMessage, Outbox } from '../mail/outbox.js';
import type { UserDoc } from '../users/model.js';
import type { ChannelDoc, ChannelEvent, ChannelKind } from './model.js';
import { shorten } from './fit.js';
import { render, type ChatMessage, type Mention } from './platforms.js';
import type { ChannelsService } from './service.js';

export type ReviewEvent = 'requested' | 'changes_requested' | 'approved' | 'published';

/** A line's facts stay short on a phone: the impact summary is cut (whole characters) past this many bytes. */
const IMPACT_BYTES = 600;

type PeopleByEmail = (emails: string[]) => Promise<Map<string, UserDoc>>;

const shown = (i: Instant): InstantValue => ({ at: i.at.toISOString(), precision: i.precision });

/**
 * Turns what happens to incidents, reviews and actions into chat messages, one per routed channel, in
 * the channel's language or else the incident's, written to the outbox (which paces and sends them).
 * A dedupe key per event and channel keeps a repeated call from posting twice.
 */
export class ChatEvents {
  constructor(
    private readonly deps: {
      channels: ChannelsService;
      outbox: Outbox;
      people: PeopleByEmail;
      actions: () => ActionsService;
      config: Config;
      logger: Logger;
    },
  ) {}

  async filed(incident: IncidentDoc): Promise<void> {
    await this.post('incident.filed', incident, `filed:${incident.key}`, (locale) => ({
      event: 'incident.filed',
      title: ui(locale, 'chat.filed.title', { key: incident.key, title: incident.title }),
      lines: this.facts(incident, locale),
      link: { label: ui(locale, 'chat.link.incident'), url: this.incidentUrl(incident) },
      mentions: [],
      data: this.incidentData(incident),
    }));
  }

  async statusChanged(incident: IncidentDoc, from: string): Promise<void> {
    if (!['mitigated', 'resolved', 'closed'].includes(incident.status)) return;
    await this.post('incident.status', incident, `status:${incident.key}:${incident.version}`, (locale) => ({
      event: 'incident.status',
      title: ui(locale, 'chat.status.title', { key: incident.key, status: term('incidentStatus', incident.status, locale), title: incident.title }),
      lines: this.facts(incident, locale),
      link: { label: ui(locale, 'chat.link.incident'), url: this.incidentUrl(incident) },
      mentions: [],
      data: { ...this.incidentData(incident), previousStatus: from },
    }));
  }

  async review(incident: IncidentDoc, event: ReviewEvent, by: { name: string }, round: number): Promise<void> {
    await this.post('review', incident, `review:${incident.key}:${round}:${event}`, (locale) => ({
      event: `review.${event}`,
      title: ui(locale, `chat.review.${event}.title`, { key: incident.key, title: incident.title }),
      lines: [ui(locale, 'chat.line.severity', { severity: incident.severity }), ui(locale, 'chat.line.by', { name: by.name })],
      link: { label: ui(locale, 'chat.link.review'), url: `${this.incidentUrl(incident)}/review` },
      mentions: [],
      data: { incident: incident.key, title: incident.title, round, by: by.name },
    }));
  }

  /** An action was given to someone: its channels mention the owner in their own syntax (their chat identity, else their name). */
  async assigned(actionKey: string, incidentOf: (key: string) => Promise<IncidentDoc>): Promise<void> {
    let action: Awaited<ReturnType<ActionsService['get']>>;
    let incident: IncidentDoc;
    let person: UserDoc | undefined;
    try {
      action = await this.deps.actions().get(actionKey);
      if (!action.owner) return;
      incident = await incidentOf(action.incidentKey);
      person = (await this.deps.people([action.owner])).get(action.owner);
    } catch (err) {
      this.deps.logger.error({ err, action: actionKey }, 'chat messages not written');
      return;
    }
    const owner = action.owner;
    const mention: Mention = { name: person?.name ?? owner, ids: person?.chat ?? {} };
    await this.post('action.assigned', incident, `assigned:${action.key}:${action.owner}:${action.version}`, (locale) => ({
      event: 'action.assigned',
      title: ui(locale, 'chat.assigned.title', { owner: mention.name, key: action.key }),
      lines: [
        ui(locale, 'chat.line.action', { title: action.title }),
        ui(locale, 'chat.line.incident', { key: incident.key, title: incident.title }),
        action.dueDate ? ui(locale, 'chat.line.due', { date: action.dueDate }) : ui(locale, 'chat.line.noDue'),
      ],
      link: { label: ui(locale, 'chat.link.incident'), url: `${this.incidentUrl(incident)}#${action.key}` },
      mentions: [mention],
      data: { action: action.key, title: action.title, incident: incident.key, owner, dueDate: action.dueDate ?? null },
    }));
  }

  /** A test message to one channel, whatever it is routed to (the settings' "send a test message"). */
  async test(channel: ChannelDoc, at: Date): Promise<string[]> {
    const locale = channel.locale ?? this.deps.config.DEFAULT_LOCALE;
    const message: ChatMessage = {
      event: 'test',
      title: ui(locale, 'chat.test.title', { name: channel.name }),
      lines: [ui(locale, 'chat.test.line')],
      link: { label: ui(locale, 'chat.link.incident'), url: this.deps.config.BASE_URL },
      mentions: [],
      data: {},
    };
    return [...(await this.deps.outbox.enqueueMany(this.messages(channel, message, `test:${at.toISOString()}`)))];
  }

  /** Key, severity, window in the incident's zone, services, impact: what a reader needs on a phone. */
  private facts(incident: IncidentDoc, locale: string): string[] {
    const zone = incident.timezone;
    const w = incident.window ?? {};
    const from = w.startedAt ?? w.detectedAt;
    const to = w.detectedAt && w.detectedAt !== from ? w.detectedAt : (w.mitigatedAt ?? w.resolvedAt);
    const lines = [
      ui(locale, 'chat.line.severity', { severity: incident.severity }),
      ui(locale, 'chat.line.status', { status: term('incidentStatus', incident.status, locale) }),
    ];
    if (from) lines.push(ui(locale, 'chat.line.window', { from: formatTime(shown(from), 'short', zone), to: to ? formatTime(shown(to), 'short', zone) : '' }));
    if (incident.services?.length) lines.push(ui(locale, 'chat.line.services', { services: formatList(incident.services, locale) }));
    const impact = incident.impact?.summary ?? incident.summary;
    if (impact) lines.push(shorten(ui(locale, 'chat.line.impact', { impact }), IMPACT_BYTES));
    return lines;
  }

  private incidentUrl(incident: IncidentDoc): string {
    return `${this.deps.config.BASE_URL}/incidents/${encodeURIComponent(incident.key)}`;
  }

  private incidentData(incident: IncidentDoc) {
    return {
      incident: incident.key,
      title: incident.title,
      severity: incident.severity,
      status: incident.status,
      timezone: incident.timezone,
      services: incident.services ?? [],
    };
  }

  /** Writes `build`'s message for each channel routed to this incident; a failure here is logged, never the caller's. */
  private async post(event: ChannelEvent, incident: IncidentDoc, key: string, build: (locale: string) => ChatMessage): Promise<void> {
    try {
      const team = incident.owner ? (await this.deps.people([incident.owner])).get(incident.owner)?.team : undefined;
      const channels = await this.deps.channels.routed(event, incident, team);
      const messages = channels.flatMap((c) => this.messages(c, build(c.locale ?? incident.locale), key));
      await this.deps.outbox.enqueueMany(messages);
    } catch (err) {
      this.deps.logger.error({ err, event, incident: incident.key }, 'chat messages not written');
    }
  }

  /** One outbox message per part the platform needs, keyed `chat:<channel>:<event key>:<part>`. */
  private messages(channel: ChannelDoc, m: ChatMessage, key: string): NewMessage[] {
    return render(channel.kind as ChannelKind, m).map(({ body, lines }, i) => {
      const text = [m.title, ...lines, ...(m.link ? [m.link.url] : [])].join('\n');
      return {
        dedupeKey: `chat:${channel._id}:${key}:${i}`,
        kind: m.event,
        transport: 'chat' as const,
        to: channel._id,
        subject: m.title,
        text,
        html: `<pre>${Handlebars.escapeExpression(text)}</pre>`,
        payload: JSON.stringify(body),
      };
    });
  }
}
