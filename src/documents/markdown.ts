import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';
import { getOrBounded } from '../lib/maps.js';

// GFM strikes through text between single tildes, which would eat the seed's "2/9~2/12" ranges; keep only ~~x~~.
const marked = new Marked({ gfm: true }, { tokenizer: { del: (src: string) => (src.startsWith('~~') ? false : undefined) } });

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [...sanitizeHtml.defaults.allowedTags, 'del'],
  allowedAttributes: { a: ['href', 'title'], ol: ['start'], th: ['align'], td: ['align'] },
  allowedSchemes: ['http', 'https', 'mailto'],
};

/** Recent conversions: an incident or report page read again shows the same text (parsing and sanitising cost more than the rest of the page). */
const htmlOfMarkdown = new Map<string, string>();
// About as many as the incidents and report weeks being read at once; a document is a few kilobytes.
const HTML_KEPT = 300;

/** Markdown to HTML that is safe to put in a page: whatever HTML the markdown carried is sanitised away. */
export function markdownToHtml(md: string): string {
  return getOrBounded(htmlOfMarkdown, md, HTML_KEPT, () => sanitizeHtml(marked.parse(md, { async: false }), SANITIZE));
}

/**
 * Markdown escaping for `{{x}}` in .md templates: raw HTML, entities and table pipes become text,
 * and line breaks become spaces so a value cannot break out of its line, list item or table cell.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/&(?=#?\w+;)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\s*[\r\n]+\s*/g, ' ');
}
