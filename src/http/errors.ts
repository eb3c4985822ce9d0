/** Errors only HTTP has (no session, a wrong method, …), and the shape every error takes on its way out. */
import type { FieldError, Said } from '../lib/errors.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
    readonly details: Record<string, unknown> = {},
    /** How pages (and Accept-Language answers) say this error in the reader's language; `message` stays the English one. */
    readonly said?: Said,
  ) {
    super(message);
  }
}

export class Unauthorized extends HttpError {
  constructor(message = 'Sign in first: send "Authorization: Bearer <token>" or a session cookie') {
    super(401, 'unauthorized', message);
  }
}
