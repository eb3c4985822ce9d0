/**
 * Fitting text into a platform's size limit without cutting a character in two: text is cut between
 * grapheme clusters (Intl.Segmenter, ECMA-402), so a Chinese character, an emoji with its modifiers or
 * a flag stays whole, and sizes are counted in UTF-8 bytes, the unit WeCom states its limits in.
 */
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const ELLIPSIS = '…';

export const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** `text` when it fits in `maxBytes`, else its longest whole-grapheme start followed by "…". */
export function shorten(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  const budget = maxBytes - utf8Bytes(ELLIPSIS);
  let out = '';
  let size = 0;
  for (const { segment } of graphemes.segment(text)) {
    const s = utf8Bytes(segment);
    if (size + s > budget) break;
    out += segment;
    size += s;
  }
  return out + ELLIPSIS;
}

/**
 * Lines packed into as few parts as fit `maxBytes` each (joined by newlines), in order; a line too long
 * for a part on its own is shortened. Splitting between lines keeps each action or fact readable whole.
 */
export function pack(lines: string[], maxBytes: number): string[][] {
  const parts: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const raw of lines) {
    const line = shorten(raw, maxBytes);
    const s = utf8Bytes(line) + (current.length ? 1 : 0);
    if (current.length && size + s > maxBytes) {
      parts.push(current);
      current = [];
      size = 0;
    }
    size += utf8Bytes(line) + (current.length ? 1 : 0);
    current.push(line);
  }
  if (current.length || !parts.length) parts.push(current);
  return parts;
}
