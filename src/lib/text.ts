/** Escapes user text for use inside a RegExp, so a search for "a.b*" finds that literal text. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
