import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../lib/logger.js';
import { HttpError } from './errors.js';
import { DomainError, NotFound, type ErrorKind } from '../lib/errors.js';
import { RETRY_AFTER_SECONDS, Unavailable } from './availability.js';
import { isUnavailable } from '../lib/db.js';
import { localMessage } from '../documents/format.js';
import { acceptedLocale } from './accept-language.js';

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
  code?: string;
  expose?: boolean;
}

/** Maps every error to a JSON problem response; only unexpected errors are 500s, logged with the request id. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const error = toHttpError(err);
    if (!error) {
      (req.log ?? logger).error({ err, reqId: req.id }, 'unhandled error');
      res.status(500).json({ error: { status: 500, code: 'internal', message: 'Internal error', requestId: req.id } });
      return;
    }
    if (error.status === 503) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    // English unless the client's Accept-Language asks for Chinese (messages that carry a `said` id).
    const locale = acceptedLocale(req.headers['accept-language']) ?? 'en';
    if (error.said || error.fields.some((f) => f.said)) res.vary('Accept-Language');
    res.status(error.status).json({
      error: {
        status: error.status,
        code: error.code,
        message: localMessage(error, locale),
        ...(error.fields.length ? { fields: error.fields.map((f) => ({ field: f.field, message: localMessage(f, locale) })) } : {}),
        ...error.details,
      },
    });
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => next(new NotFound(`Route ${req.method} ${req.path}`));

/** The one place a domain error's kind becomes an HTTP status. */
const STATUS_OF: Record<ErrorKind, number> = {
  malformed: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  too_large: 413,
  refused: 422,
};

export function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof DomainError) return new HttpError(STATUS_OF[err.kind], err.code, err.message, err.fields, err.details, err.said);
  if (isUnavailable(err)) return new Unavailable();
  const parserError = err as BodyParserError;
  switch (parserError?.type) {
    case 'entity.too.large':
      return new HttpError(413, 'payload_too_large', `Request body is larger than the ${parserError.limit ?? ''} byte limit`);
    case 'entity.parse.failed':
      return new HttpError(400, 'bad_request', 'Request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_media_type', 'Unsupported body encoding');
    default:
      break;
  }
  // A body that does not inflate as its Content-Encoding says (zlib's Z_DATA_ERROR, a truncated stream).
  // zlib's codes start Z_, brotli's ERR__ or ERR_BROTLI.
  if (/^(Z_|ERR__|ERR_BROTLI)/.test(parserError?.code ?? '')) {
    return new HttpError(400, 'bad_request', 'Request body does not match its Content-Encoding (send plain JSON, or compress it as declared)');
  }
  // Any other client error the body reader raised (an aborted or mis-sized body): its status, never a 500.
  if (parserError?.expose && typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    return new HttpError(parserError.status, 'bad_request', 'Request body could not be read');
  }
  return undefined;
}
