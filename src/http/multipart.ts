import express, { type RequestHandler } from 'express';
import { BadRequest } from './errors.js';

/** A file sent with a page form (`<input type=file>`), held in memory: the forms that take files take small text files. */
export interface UploadedFile {
  field: string;
  filename: string;
  data: Buffer;
}

declare module 'express-serve-static-core' {
  interface Request {
    files?: UploadedFile[];
  }
}

const malformed = () => new BadRequest('Malformed form upload (multipart/form-data)');
const CRLF = Buffer.from('\r\n');

/**
 * Reads a multipart/form-data body (a page form with files, which works without script): its fields
 * become req.body as urlencoded ones would, its files req.files. Other bodies pass untouched.
 */
export function multipartForm(limitBytes: number): RequestHandler {
  const raw = express.raw({ type: 'multipart/form-data', limit: limitBytes });
  return (req, res, next) => {
    if (!req.is('multipart/form-data')) return next();
    raw(req, res, (err?: unknown) => {
      if (err) return next(err);
      const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(req.headers['content-type'] ?? '');
      if (!boundary || !Buffer.isBuffer(req.body)) return next(malformed());
      try {
        const { fields, files } = parseMultipart(req.body, boundary[1] ?? boundary[2]!);
        req.body = fields;
        req.files = files;
        next();
      } catch (e) {
        next(e);
      }
    });
  };
}

/** Splits a multipart body at its boundary (RFC 7578): named fields (repeated ones as lists) and files. */
export function parseMultipart(body: Buffer, boundary: string): { fields: Record<string, string | string[]>; files: UploadedFile[] } {
  const delimiter = Buffer.from(`--${boundary}`);
  const between = Buffer.from(`\r\n--${boundary}`);
  const fields: Record<string, string | string[]> = {};
  const files: UploadedFile[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw malformed();
  pos += delimiter.length;
  while (body.subarray(pos, pos + 2).toString('latin1') !== '--') {
    if (!body.subarray(pos, pos + 2).equals(CRLF)) throw malformed();
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    const end = headerEnd < 0 ? -1 : body.indexOf(between, headerEnd + 4);
    if (end < 0) throw malformed();
    const headers = body.subarray(pos + 2, headerEnd).toString('utf8');
    const data = body.subarray(headerEnd + 4, end);
    const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1] ?? '';
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
    const filename = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) throw malformed();
    if (filename !== undefined) {
      // An empty file input still sends a part, without a name or content.
      if (filename || data.length) files.push({ field: name, filename, data: Buffer.from(data) });
    } else {
      const value = data.toString('utf8');
      const before = fields[name];
      fields[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
    }
    pos = end + between.length;
  }
  return { fields, files };
}
