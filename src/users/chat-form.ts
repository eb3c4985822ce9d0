import { ui, type UiKey } from '../documents/ui-strings.js';
import { formText } from '../http/pages.js';
import { chatIdentities } from './schemas.js';

/**
 * The chat identities form (a person's own on /account, anyone's on /people): one field per platform,
 * named chat_<kind>; the ones left empty are not kept, and none at all clears them.
 */
const CHAT_KINDS = chatIdentities.keyof().options;
type ChatKind = (typeof CHAT_KINDS)[number];
const HINTS: Record<ChatKind, string> = { wecom: '13800000000', feishu: 'ou_…', dingtalk: '13800000000', slack: 'U012AB3CD' };
const label = (locale: string, kind: ChatKind) => ui(locale, `account.chat.${kind}` as UiKey);

/** What was typed (to show again on a refusal) and the identities to patch the person with. */
export function chatFromForm(body: unknown): { typed: Record<string, string>; chat: Partial<Record<ChatKind, string>> | null } {
  const typed = Object.fromEntries(CHAT_KINDS.map((kind) => [`chat_${kind}`, formText(body, `chat_${kind}`).trim()]));
  const chat = Object.fromEntries(CHAT_KINDS.filter((kind) => typed[`chat_${kind}`]).map((kind) => [kind, typed[`chat_${kind}`]!]));
  return { typed, chat: Object.keys(chat).length ? chat : null };
}

/** A refusal's fields, as the error handler gives them. */
type Refusal = { fields: { field: string }[] };

/** The form's fields: the person's identities, or what was typed when the form was refused. */
export function chatFields(locale: string, saved: Partial<Record<ChatKind, string>> | undefined, typed?: Record<string, string>, error?: Refusal) {
  return CHAT_KINDS.map((kind) => ({
    kind,
    label: label(locale, kind),
    hint: HINTS[kind],
    value: typed ? typed[`chat_${kind}`] : (saved?.[kind] ?? ''),
    invalid: !!error?.fields.some((f) => f.field === `chat.${kind}`),
  }));
}

/** The identities as a short line for a list ("飞书 open_id: ou_…"). */
export function chatSummary(locale: string, saved: Partial<Record<ChatKind, string>> | undefined): string {
  return CHAT_KINDS.filter((kind) => saved?.[kind]).map((kind) => `${label(locale, kind)}: ${saved![kind]}`).join(' · ');
}

/** The refusal of a chat identity, naming its platform; undefined when no chat field was refused. */
export function chatError(locale: string, error: Refusal): string | undefined {
  const kind = CHAT_KINDS.find((k) => error.fields.some((f) => f.field === `chat.${k}`));
  return kind && ui(locale, 'account.chatInvalid', { platform: label(locale, kind) });
}
