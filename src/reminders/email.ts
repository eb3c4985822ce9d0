import type { Config } from '../lib/config.js';
import type { PeopleLookup } from './people.js';

/** The renderer documents use (src/documents); emails are templates/emails/<name>.<html|txt>, their words ui strings in the reader's locale. */
export interface TemplateRenderer {
  render(req: { kind: string; name: string; locale: string; format: 'html' | 'txt'; data: object; timezone: string }): string;
}

/** How a person reads their mail: their profile's time zone and locale, else DEFAULT_TIMEZONE and DEFAULT_LOCALE. */
export interface Reader {
  zone: string;
  locale: string;
}

export async function readerOf(people: PeopleLookup, config: Config, email: string): Promise<Reader> {
  const person = await people(email);
  return { zone: person?.timezone ?? config.DEFAULT_TIMEZONE, locale: person?.locale ?? config.DEFAULT_LOCALE };
}

/** Subject (`<name>-subject.txt`) and HTML and text bodies (`<name>.<html|txt>`) of an email, in the reader's locale and zone. */
export function renderEmail(renderer: TemplateRenderer, name: string, data: object, reader: Reader): { subject: string; html: string; text: string } {
  const render = (template: string, format: 'html' | 'txt') => renderer.render({ kind: 'emails', name: template, locale: reader.locale, format, data, timezone: reader.zone });
  return { subject: render(`${name}-subject`, 'txt').trim(), html: render(name, 'html'), text: render(name, 'txt') };
}
