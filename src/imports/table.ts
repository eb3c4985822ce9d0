import type { ImportResult } from './schemas.js';

/** Terminal columns a string takes: CJK and full-width signs take two. */
function width(text: string): number {
  let w = 0;
  for (const c of text) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(c) ? 2 : 1;
  return w;
}

function clip(text: string, max: number): string {
  if (width(text) <= max) return text;
  let out = '';
  for (const c of text) {
    if (width(`${out}${c}…`) > max) break;
    out += c;
  }
  return `${out}…`;
}

/**
 * The proposals of one file as a table (where, status, key, severity, window, actions, title), then its
 * warnings by line, for `npm run import`.
 */
export function importTable(file: string, result: ImportResult): string {
  const rows = [
    ['line', 'status', 'key', 'sev', 'started', 'resolved', 'actions', 'title'],
    ...result.entries.map((e) => [
      `${file}:${e.line}`,
      e.errors.length ? 'refused' : e.status,
      e.key ?? '',
      e.incident.severity ?? '',
      e.incident.window?.startedAt ?? '',
      e.incident.window?.resolvedAt ?? '',
      String(e.incident.actions?.length ?? 0),
      clip(e.incident.title, 50),
    ]),
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => width(r[col]!))));
  const lines = rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell + ' '.repeat(widths[col]! - width(cell)))).join('  '));
  const notes = [
    ...result.warnings,
    ...result.entries.flatMap((e) => [...e.warnings, ...e.errors.map((f) => ({ line: e.line, message: `refused: ${f.field}: ${f.message}` }))]),
  ].sort((a, b) => a.line - b.line);
  return [...lines, ...notes.map((n) => `${file}:${n.line}: ${n.message}`)].join('\n');
}
