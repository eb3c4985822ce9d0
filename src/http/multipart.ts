import busboy from 'busboy';
import type { RequestHandler } from 'express';
import { HttpError } from './errors.js';
import { BadRequest } from '../lib/errors.js';

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
const tooLarge = (limitBytes: number) => new HttpError(413, 'payload_too_large', `Request body is larger than the ${limitBytes} byte limit`);

/**
 * Reads a multipart/form-data body (a page form with files, which works without script) with busboy: its
 * fields become req.body as urlencoded ones would (repeated names as lists), its files req.files. Other
 * bodies pass untouched. req.body has no prototype, as Node's querystring gives the urlencoded forms, so a
 * part named `__proto__` or `constructor` is an ordinary field.
 */
export function multipartForm(limitBytes: number): RequestHandler {
  return (req, _res, next) => {
    if (!req.is('multipart/form-data')) return next();
    if (Number(req.headers['content-length']) > limitBytes) return next(tooLarge(limitBytes));
    let parser: busboy.Busboy;
    try {
      // Filenames as browsers send them, in UTF-8 (busboy reads them as latin1 unless told; its README, "defParamCharset").
      parser = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { fieldSize: limitBytes, fileSize: limitBytes } });
    } catch {
      return next(malformed()); // no boundary, or not multipart after all
    }
    const fields: Record<string, string | string[]> = Object.create(null);
    const files: UploadedFile[] = [];
    let received = 0;
    let settled = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      if (err) {
        req.resume(); // drain the rest so the answer can be sent on this connection
        return next(err);
      }
      req.body = fields;
      req.files = files;
      next();
    };
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) finish(tooLarge(limitBytes));
    });
    parser.on('field', (name, value) => {
      const before = fields[name];
      fields[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
    });
    parser.on('file', (field, stream, { filename }) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const data = Buffer.concat(chunks);
        // An empty file input still sends a part, without a name or content.
        if (filename || data.length) files.push({ field, filename: filename ?? '', data });
      });
    });
    parser.on('error', () => finish(malformed()));
    parser.on('close', () => finish());
    req.on('error', () => finish(new HttpError(400, 'bad_request', 'Request body could not be read')));
    req.pipe(parser);
  };
}
