import { z } from 'zod';
import { FORMATS } from './renderer.js';

const templateName = z.string().regex(/^[\w-]{1,100}$/, 'a template name such as postmortem or weekly-entry');
const locale = z
  .string()
  .max(35)
  .refine((v) => /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(v) && Intl.getCanonicalLocales(v).length === 1, 'a locale such as en or zh-CN')
  .describe("defaults to the incident's locale");
const format = z.enum(FORMATS).describe('md is the source; html is rendered from it, sanitised, with a print stylesheet');

export const documentQuery = z.strictObject({
  template: templateName.default('postmortem'),
  locale: locale.optional(),
  format: format.default('md'),
});
export type DocumentQuery = z.output<typeof documentQuery>;

export const previewBody = z.strictObject({
  key: z.string().max(100).describe('the incident to render against'),
  body: z.string().min(1).max(200_000).describe('the template text'),
  locale: locale.optional(),
  format: format.default('md').describe('the format the body is written in; a markdown body also gives its HTML page'),
});
export type PreviewInput = z.output<typeof previewBody>;

export const snapshotBody = z.strictObject({
  renderings: z
    .array(z.strictObject({ template: templateName, locale: locale.optional(), format }))
    .min(1)
    .max(20)
    .default([
      { template: 'postmortem', format: 'md' },
      { template: 'postmortem', format: 'html' },
    ])
    .describe('what to freeze; default: the postmortem as md and html in the incident locale'),
  note: z.string().trim().max(2000).optional(),
});
export type SnapshotInput = z.output<typeof snapshotBody>;

export const snapshotParams = z.strictObject({
  key: z.string().max(100),
  n: z.coerce.number().int().min(1).max(1_000_000),
});
