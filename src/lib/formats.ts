import { IANAZone } from 'luxon';
import { z } from 'zod';
import { getOrBounded } from './maps.js';

/**
 * An email address by the HTML form rule, which accepts a host without a dot: the first admin is
 * `admin@localhost` by default, and a local install's people may be too.
 */
export const emailAddress = () => z.email({ pattern: z.regexes.html5Email, error: 'must be an email address' }).max(254).toLowerCase();

/** The only schemes a stored link may use: a `javascript:` or `data:` link would run in a reader's browser. */
export const LINK_PROTOCOLS = ['http', 'https', 'mailto'] as const;
const linkProtocol = new RegExp(`^(${LINK_PROTOCOLS.join('|')})$`);
const LINK_MESSAGE = `must be a URL starting with ${LINK_PROTOCOLS.map((p) => `${p}:`).join(', ')}`;

export const linkUrl = () => z.url({ protocol: linkProtocol, error: LINK_MESSAGE }).max(2000);

/**
 * True when `text` is one word that a browser would take for a link with a scheme we do not allow
 * (`javascript:alert(1)`); free text such as "fixed in PR 12" or "note: done" is not a link.
 */
export function isRefusedLink(text: string): boolean {
  const candidate = text.trim();
  if (/\s/.test(candidate) || !/^[a-z][a-z0-9+.-]*:/i.test(candidate)) return false;
  return !linkUrl().safeParse(candidate).success;
}
export { LINK_MESSAGE };

/** Names checked so far: luxon checks a name by building an Intl formatter, which costs more than the rest of a request's checks. */
const zoneChecks = new Map<string, boolean>();

/** An IANA time zone name (Asia/Shanghai). */
export const timeZone = () => z.string().refine((v) => getOrBounded(zoneChecks, v, 1000, () => IANAZone.isValidZone(v)), 'not an IANA time zone (e.g. Asia/Shanghai)');
