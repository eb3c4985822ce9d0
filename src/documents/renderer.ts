import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import sanitizeHtml from 'sanitize-html';
import { HELPERS, type HelperFrame } from './helpers.js';
import { escapeMarkdown, markdownToHtml } from './markdown.js';
import { Unprocessable } from '../lib/errors.js';
import { fromPackageRoot } from '../lib/paths.js';

/**
 * The one template renderer (documents now, e-mails and pages later). Templates live in
 * `templates/<kind>/<name>[.<locale>].<format>` (e.g. documents/postmortem.zh-CN.md,
 * emails/action-reminder.en.html + emails/action-reminder.en.txt); partials in `templates/partials/`.
 * A user directory laid out the same way adds templates or replaces built-ins by kind, name, locale and format.
 */

export const FORMATS = ['md', 'html', 'txt'] as const;
export type Format = (typeof FORMATS)[number];

const BUILTIN_TEMPLATES_DIR = fromPackageRoot('templates');

export interface TemplateInfo {
  /** kind/name[.locale].format, e.g. documents/postmortem.en.md */
  id: string;
  kind: string;
  name: string;
  /** null: used for every locale that has no template of its own */
  locale: string | null;
  format: string;
  source: 'builtin' | 'user';
  /** a user template that replaces a built-in one */
  overrides: boolean;
}

export interface RenderRequest {
  kind: string;
  name: string;
  locale: string;
  /** html from a kind that only has markdown is rendered from the markdown, sanitised, in layouts/document; txt is the markdown unescaped */
  format: Format;
  data: object;
  /** the zone times are shown in */
  timezone: string;
}

/** A template that cannot be parsed or fails while rendering; `line` is 1-based in the template's own text. */
export class TemplateError extends Error {
  constructor(
    public template: string | undefined,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export class TemplateNotFound extends Error {
  constructor(
    readonly wanted: string,
    readonly available: string[],
  ) {
    super(`No template ${wanted}${available.length ? `; available: ${available.join(', ')}` : ''}`);
  }
}

/**
 * What one rendering may cost, so a template (a preview, a team's own template, a document over a huge
 * incident) cannot hold the event loop: wall time, and characters produced by its blocks (each level of
 * `{{#each}}` counts what it produced, so nested loops hit the limit long before memory runs out).
 */
export interface RenderLimits {
  timeMs: number;
  outputChars: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = { timeMs: 1_000, outputChars: 1_000_000 };

/** 422: the template is fine as text, but rendering it costs more than the limit this names. */
export class RenderLimitExceeded extends Unprocessable {
  constructor(limit: 'RENDER_TIME_LIMIT_MS' | 'RENDER_OUTPUT_LIMIT', value: number) {
    const what = limit === 'RENDER_TIME_LIMIT_MS' ? `took longer than ${value} ms` : `produced more than ${value.toLocaleString('en')} characters`;
    const message = `Rendering stopped: the template ${what} (${limit}); loop over fewer items or nest fewer {{#each}} blocks`;
    super(message, [{ field: 'template', message }], { limit, value });
  }
}

class Budget {
  private readonly deadline: number;
  private produced = 0;
  constructor(private readonly limits: RenderLimits) {
    this.deadline = performance.now() + limits.timeMs;
  }

  tick(): void {
    if (performance.now() > this.deadline) throw new RenderLimitExceeded('RENDER_TIME_LIMIT_MS', this.limits.timeMs);
  }

  produce(chars: number): void {
    this.produced += chars;
    if (this.produced > this.limits.outputChars) throw new RenderLimitExceeded('RENDER_OUTPUT_LIMIT', this.limits.outputChars);
    this.tick();
  }
}

interface Frame extends HelperFrame {
  format: Format;
}



const ESCAPE: Record<Format, (value: unknown) => string> = {
  html: (v) => Handlebars.escapeExpression(v as string),
  md: (v) => (v instanceof Handlebars.SafeString ? v.toHTML() : v == null ? '' : escapeMarkdown(String(v))),
  txt: (v) => (v == null ? '' : String(v)),
};

interface Entry extends TemplateInfo {
  file: string;
}

type Compiled = (data: object, frame: Frame) => string;

export class Renderer {
  private readonly hb = Handlebars.create();
  private readonly templates = new Map<string, Entry>();
  private readonly compiled = new Map<string, Compiled>();
  /** The budget of the rendering under way (rendering is synchronous, so there is at most one). */
  private budget: Budget | undefined;

  /** `dirs`: the built-in directory first, then directories whose templates add to or replace it. */
  constructor(
    dirs: { dir: string; source: 'builtin' | 'user' }[],
    private readonly limits: RenderLimits = DEFAULT_RENDER_LIMITS,
  ) {
    for (const [name, h] of Object.entries(HELPERS)) {
      this.hb.registerHelper(name, (...args: unknown[]) => {
        const options = args.pop() as Handlebars.HelperOptions & { loc?: { start: { line: number } } };
        this.budget?.tick();
        try {
          return h.fn(options.data as Frame, ...args, ...(h.hash ? [options.hash ?? {}] : []));
        } catch (err) {
          throw new TemplateError(undefined, options.loc?.start.line, `${name}: ${(err as Error).message}`);
        }
      });
    }
    // Every {{x}} is rewritten to {{__escape x}} (see rewrite), so each output format escapes its own way.
    this.hb.registerHelper('__escape', (value: unknown, options: Handlebars.HelperOptions) => ESCAPE[(options.data as Frame).format](value));
    // Every pass of an {{#each}} body is counted against the budget, with what it produced.
    const builtinEach = this.hb.helpers.each!;
    const renderer = this;
    this.hb.registerHelper('each', function (this: unknown, context: unknown, options: Handlebars.HelperOptions) {
      const body = options.fn;
      const counted = Object.assign((item: unknown, opts?: Handlebars.RuntimeOptions) => {
        const out = body(item, opts);
        renderer.budget?.produce(out.length);
        return out;
      }, body);
      return builtinEach.call(this, context, { ...options, fn: counted });
    });
    for (const { dir, source } of dirs) this.load(dir, source);
  }

  list(): TemplateInfo[] {
    return [...this.templates.values()].map(({ file: _f, ...info }) => info).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Renders a template to text; the whole text or an error, never part of it. */
  render(req: RenderRequest): string {
    const frame = { locale: req.locale, timezone: req.timezone };
    const own = this.find(req.kind, req.name, req.locale, req.format);
    if (own) return this.compiledFor(own)(req.data, { ...frame, format: req.format });
    const md = req.format !== 'md' && this.find(req.kind, req.name, req.locale, 'md');
    if (!md) throw new TemplateNotFound(`${req.kind}/${req.name} in ${req.locale} as ${req.format}`, this.variants(req.kind, req.name));
    // Plain text from a markdown template: the same text, its values left unescaped (markdown reads as text).
    if (req.format === 'txt') return this.compiledFor(md)(req.data, { ...frame, format: 'txt' });
    return this.htmlPage(this.compiledFor(md)(req.data, { ...frame, format: 'md' }), req.name, frame);
  }

  /** Renders a template given as text (a preview of a template being written); md also gives its HTML page. */
  renderSource(source: string, req: Omit<RenderRequest, 'kind'>): { output: string; html?: string } {
    const frame = { locale: req.locale, timezone: req.timezone, format: req.format };
    const output = this.compile(req.name, source)(req.data, frame);
    return req.format === 'md' ? { output, html: this.htmlPage(output, req.name, frame) } : { output };
  }

  private htmlPage(md: string, fallbackTitle: string, frame: Omit<Frame, 'format'>): string {
    const body = markdownToHtml(md);
    const h1 = /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(body)?.[1];
    // sanitize-html with no tags gives the heading's text, still HTML-escaped, so it is marked safe as is.
    const title = h1 === undefined ? fallbackTitle : new Handlebars.SafeString(sanitizeHtml(h1, { allowedTags: [] }));
    const layout = this.find('layouts', 'document', frame.locale, 'html');
    if (!layout) throw new TemplateNotFound('layouts/document as html', this.variants('layouts', 'document'));
    return this.compiledFor(layout)({ title, body: new Handlebars.SafeString(body) }, { ...frame, format: 'html' });
  }

  /** The template for a locale, else the one for every locale. */
  private find(kind: string, name: string, locale: string, format: Format): Entry | undefined {
    return this.templates.get(templateId(kind, name, locale, format)) ?? this.templates.get(templateId(kind, name, null, format));
  }

  private variants(kind: string, name: string): string[] {
    return this.list()
      .filter((t) => t.kind === kind && t.name === name)
      .map((t) => `${t.locale ?? 'any locale'} as ${t.format}`);
  }

  private compiledFor(entry: Entry): Compiled {
    let fn = this.compiled.get(entry.id);
    if (!fn) {
      fn = this.compile(entry.source === 'user' ? `${entry.id} (user)` : entry.id, readFileSync(entry.file, 'utf8'));
      this.compiled.set(entry.id, fn);
    }
    return fn;
  }

  private compile(name: string, source: string): Compiled {
    let fn: HandlebarsTemplateDelegate;
    try {
      const ast = this.hb.parse(source);
      this.rewrite(ast);
      fn = this.hb.compile(ast, { noEscape: true });
    } catch (err) {
      throw asTemplateError(name, err);
    }
    return (data, frame) => {
      // The outermost template (not a partial or layout inside it) opens the budget.
      const outermost = !this.budget;
      if (outermost) this.budget = new Budget(this.limits);
      try {
        const out = fn(data, { data: frame });
        this.budget!.produce(out.length);
        return out;
      } catch (err) {
        if (err instanceof RenderLimitExceeded) throw err;
        throw asTemplateError(name, err);
      } finally {
        if (outermost) this.budget = undefined;
      }
    };
  }

  /**
   * Handlebars escapes for HTML only. Rewriting `{{expr}}` into `{{__escape expr}}` lets markdown and
   * text escape their own way; unknown helpers and partials are refused here, with their line.
   */
  private rewrite(node: unknown): void {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach((n) => this.rewrite(n));
    const n = node as AstNode;
    const line = n.loc?.start.line;
    if ((n.type === 'MustacheStatement' || n.type === 'SubExpression' || n.type === 'BlockStatement') && n.path.type === 'PathExpression') {
      const isCall = n.params.length > 0 || !!n.hash || n.type === 'SubExpression';
      if (isCall && !this.hb.helpers[n.path.original]) throw new TemplateError(undefined, line, `unknown helper "${n.path.original}"`);
    }
    if ((n.type === 'PartialStatement' || n.type === 'PartialBlockStatement') && n.name.type === 'PathExpression' && !this.hb.partials[n.name.original]) {
      throw new TemplateError(undefined, line, `unknown partial "${n.name.original}"`);
    }
    for (const value of Object.values(n)) if (value && typeof value === 'object' && value !== n.loc) this.rewrite(value);
    if (n.type === 'MustacheStatement' && n.escaped) {
      const plainValue = n.params.length === 0 && !n.hash && !(n.path.type === 'PathExpression' && this.hb.helpers[n.path.original]);
      const inner = plainValue ? n.path : { type: 'SubExpression', path: n.path, params: n.params, hash: n.hash, loc: n.loc };
      n.path = { type: 'PathExpression', data: false, depth: 0, parts: ['__escape'], original: '__escape', loc: n.loc };
      n.params = [inner];
      n.hash = undefined;
    }
  }

  private load(dir: string, source: 'builtin' | 'user'): void {
    for (const kind of readdirSync(dir).filter((d) => statSync(path.join(dir, d)).isDirectory())) {
      for (const file of readdirSync(path.join(dir, kind))) {
        const full = path.join(dir, kind, file);
        if (kind === 'partials') {
          this.loadPartial(full, source);
          continue;
        }
        const m = /^([\w-]+)(?:\.([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*))?\.(md|html|txt)$/.exec(file);
        if (!m) continue;
        const [, name, locale = null, format] = m as unknown as [string, string, string | undefined, Format];
        const id = templateId(kind, name, locale, format);
        this.templates.set(id, { id, kind, name, locale, format, source, overrides: source === 'user' && this.templates.has(id), file: full });
      }
    }
  }

  /** A partial is registered by its file name without extension, and compiled like a template on first use. */
  private loadPartial(file: string, source: 'builtin' | 'user'): void {
    const name = path.basename(file).replace(/\.[^.]+$/, '');
    const id = `partials/${path.basename(file)}`;
    this.templates.set(id, { id, kind: 'partials', name, locale: null, format: path.extname(file).slice(1), source, overrides: source === 'user' && this.templates.has(id), file });
    let fn: Compiled | undefined;
    this.hb.registerPartial(name, ((context: object, options: { data: Frame }) => {
      fn ??= this.compile(source === 'user' ? `${id} (user)` : id, readFileSync(file, 'utf8'));
      return fn(context, options.data);
    }) as unknown as Handlebars.Template);
  }
}

interface AstNode {
  type: string;
  loc?: { start: { line: number } };
  path: { type: string; original: string; [key: string]: unknown };
  name: { type: string; original: string };
  params: unknown[];
  hash?: unknown;
  escaped?: boolean;
}

function templateId(kind: string, name: string, locale: string | null, format: string): string {
  return `${kind}/${name}${locale ? `.${locale}` : ''}.${format}`;
}

function asTemplateError(template: string, err: unknown): TemplateError {
  if (err instanceof TemplateError) {
    err.template ??= template;
    return err;
  }
  const message = err instanceof Error ? err.message : String(err);
  const line = (err as { lineNumber?: number }).lineNumber ?? Number(/line (\d+)/.exec(message)?.[1] ?? NaN);
  // Handlebars appends " - line:column" and a caret picture; the line is reported separately.
  const reason = message.replace(/ - \d+:\d+$/, '').split('\n').filter((l) => !/^[-\s]*\^$/.test(l)).join(' ');
  return new TemplateError(template, Number.isNaN(line) ? undefined : line, reason);
}

export function createRenderer(options: { userDir?: string; limits?: RenderLimits }): Renderer {
  return new Renderer(
    [{ dir: BUILTIN_TEMPLATES_DIR, source: 'builtin' }, ...(options.userDir ? [{ dir: path.resolve(options.userDir), source: 'user' as const }] : [])],
    options.limits,
  );
}
