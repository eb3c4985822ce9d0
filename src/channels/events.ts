import { createHash } from 'node:crypto';
import Handlebars from 'handlebars';
import type { ActionsService } from '../actions/service.js';
import { formatList, formatTime, term, type InstantValue } from '../documents/format.js';
import { ui } from '../documents/ui-strings.js';
import type { IncidentDoc } from '../incidents/model.js';
import { DateTime } from 'luxon';
import { listActionsQuery } from '../actions/schemas.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import { localDate, zoneNamed } from '../lib/time.js';
import type { ActionLinks } from '../reminders/links.js';
import type { Logger } from '../lib/logger.js';
import type { Instant } from '../lib/time.js';
import type { NewMessage, Outbox } from '../mail/outbox.js';
import type { UserDoc } from '../users/model.js';
import type { ChannelDoc, ChannelEvent, ChannelKind } from './model.js';
import { shorten } from './fit.js';
import { inlineLink, inlineMention, plainLine, render, type ChatMessage, type Mention } from './platforms.js';
import { routes, type ChannelsService } from './service.js';
import { weeklyMessage } from './weekly.js';
import type { StabilityReport } from '../reports/schemas.js';

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
      incidentOf: (key: string) => Promise<IncidentDoc>;
      links: ActionLinks;
      clock: Clock;
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

  /**
   * Once a day per channel, from DIGEST_HOUR in DEFAULT_TIMEZONE: the overdue corrective actions of the
   * incidents routed to it, grouped by owner (mentioned), one line each with the emails' signed one-click
   * links (mark done, snooze, new due date) made out to the owner. The day is in the dedupe key, so the
   * job may run every quarter hour and on several workers.
   */
  async overdueSummaries(): Promise<{ channels: number; messages: number }> {
    const { config, clock, outbox } = this.deps;
    const now = clock.now();
    const zone = config.DEFAULT_TIMEZONE;
    if (DateTime.fromJSDate(now, { zone: zoneNamed(zone) }).hour < config.DIGEST_HOUR) return { channels: 0, messages: 0 };
    const day = localDate(zone, now);
    const key = `overdue:${day}`;
    const channels = [];
    for (const c of await this.deps.channels.all()) {
      if (!c.disabled && c.events.includes('actions.overdue') && (await outbox.refsOf(`chat:${c._id}:${key}:0`)) === undefined) channels.push(c);
    }
    if (!channels.length) return { channels: 0, messages: 0 };
    const overdue = await this.overdueActions();
    const incidents = new Map<string, IncidentDoc>();
    for (const a of overdue) if (!incidents.has(a.incidentKey)) incidents.set(a.incidentKey, await this.deps.incidentOf(a.incidentKey));
    const owners = await this.deps.people([...new Set(overdue.map((a) => a.owner).filter((o): o is string => !!o))]);
    let messages = 0;
    for (const channel of channels) {
      const routed = [];
      for (const a of overdue) {
        const incident = incidents.get(a.incidentKey)!;
        const team = incident.owner ? (await this.deps.people([incident.owner])).get(incident.owner)?.team : undefined;
        if ((await this.deps.channels.routed('actions.overdue', incident, team)).some((c) => c._id === channel._id)) routed.push(a);
      }
      if (!routed.length) continue;
      const locale = channel.locale ?? incidents.get(routed[0]!.incidentKey)!.locale;
      const message = await this.overdueMessage(routed, owners, locale, day);
      messages += (await outbox.enqueueMany(this.messages(channel, message, key))).size;
    }
    return { channels: channels.length, messages };
  }

  private async overdueActions() {
    const all = [];
    for (let page = 1; ; page++) {
      const { items, total } = await this.deps.actions().list(listActionsQuery.parse({ overdue: 'true', sort: 'dueDate', page: String(page), pageSize: '200' }));
      all.push(...items);
      if (all.length >= total || !items.length) return all;
    }
  }

  private async overdueMessage(actions: Awaited<ReturnType<ChatEvents['overdueActions']>>, owners: Map<string, UserDoc>, locale: string, day: string): Promise<ChatMessage> {
    const groups = new Map<string, typeof actions>();
    for (const a of actions) groups.set(a.owner ?? '', [...(groups.get(a.owner ?? '') ?? []), a]);
    const mentions: Mention[] = [];
    const lines: string[] = [];
    for (const [owner, list] of groups) {
      const person = owners.get(owner);
      if (owner) mentions.push({ name: person?.name ?? owner, ids: person?.chat ?? {} });
      lines.push(ui(locale, 'chat.overdue.owner', { owner: owner ? inlineMention(mentions.length - 1) : ui(locale, 'common.unowned'), n: list.length }));
      for (const a of list) {
        const links = owner
          ? [
              inlineLink(ui(locale, 'email.digest.markDone'), await this.deps.links.url(a.key, owner, 'done'), 'done'),
              inlineLink(ui(locale, 'email.digest.snooze'), await this.deps.links.url(a.key, owner, 'snooze'), 'snooze'),
              inlineLink(ui(locale, 'email.digest.newDueDate'), await this.deps.links.url(a.key, owner, 'due'), 'due'),
            ].join(' ')
          : inlineLink(a.key, `${this.deps.config.BASE_URL}/incidents/${encodeURIComponent(a.incidentKey)}#${a.key}`);
        lines.push(`${ui(locale, 'chat.overdue.item', { key: a.key, title: a.title, dueDate: a.dueDate ?? '' })} ${links}`);
      }
    }
    return {
      event: 'actions.overdue',
      title: ui(locale, 'chat.overdue.title', { n: actions.length, date: day }),
      lines,
      link: { label: ui(locale, 'chat.link.actions'), url: `${this.deps.config.BASE_URL}/actions?overdue=true` },
      mentions,
      inlineMentions: true,
      data: { date: day, actions: actions.map((a) => ({ key: a.key, title: a.title, owner: a.owner ?? null, dueDate: a.dueDate ?? null, incident: a.incidentKey })) },
    };
  }

  /**
   * The weekly stability section, when the weekly report is sent: to each enabled channel taking
   * `report.weekly`, with the figures of the whole report and the incidents routed to the channel. A
   * section already posted to a channel, word for word, is not posted again.
   */
  async weeklyReport(report: StabilityReport, locale: string | undefined): Promise<{ channels: number; messages: number }> {
    const { config, outbox } = this.deps;
    const channels = (await this.deps.channels.all()).filter((c) => !c.disabled && c.events.includes('report.weekly'));
    if (!channels.length) return { channels: 0, messages: 0 };
    const routing = [];
    for (const i of report.incidents) {
      const incident = await this.deps.incidentOf(i.key);
      const team = incident.owner ? (await this.deps.people([incident.owner])).get(incident.owner)?.team : undefined;
      routing.push({ entry: i, incident, team });
    }
    let messages = 0;
    for (const channel of channels) {
      const shown = routing.filter((r) => routes(channel, r.incident, r.team)).map((r) => r.entry);
      const message = weeklyMessage(report, shown, channel.locale ?? locale ?? config.DEFAULT_LOCALE, config.BASE_URL);
      const words = createHash('sha256').update(JSON.stringify([message.title, message.lines])).digest('base64url').slice(0, 16);
      messages += (await outbox.enqueueMany(this.messages(channel, message, `weekly:${report.period.from}:${report.period.to}:${words}`))).size;
    }
    return { channels: channels.length, messages };
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
      const text = [m.title, ...lines.map((l) => plainLine(l, m)), ...(m.link ? [m.link.url] : [])].join('\n');
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
