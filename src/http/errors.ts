/** The errors services throw; the one error handler turns them into JSON responses. */
export interface FieldError {
  field: string;
  message: string;
  /** The message in the reader's words: a `said.<id>` ui string and its values (see localMessage). */
  said?: Said;
}

/** A message a person reads, by its id in the ui strings (`said.<id>`) and the values it names. */
export interface Said {
  id: string;
  params: Record<string, string | number>;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** How pages (and Accept-Language answers) say this error in the reader's language; `message` stays the English one. */
  said?: Said;

  /** This error, said in the reader's words by the ui string `said.<id>` with `params`. */
  saying(id: string, params: Said['params'] = {}): this {
    this.said = { id, params };
    return this;
  }
}

/** 400: the request itself is malformed (types, unknown fields, operators). */
export class BadRequest extends HttpError {
  constructor(message: string, fields: FieldError[] = []) {
    super(400, 'bad_request', message, fields);
  }
}

export class Unauthorized extends HttpError {
  constructor(message = 'Sign in first: send "Authorization: Bearer <token>" or a session cookie') {
    super(401, 'unauthorized', message);
  }
}

export class Forbidden extends HttpError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

export class NotFound extends HttpError {
  constructor(what: string) {
    super(404, 'not_found', `${what} not found`);
  }
}

/** 409: the request is well-formed but conflicts with the record's current state. */
export class Conflict extends HttpError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(409, 'conflict', message, [], details);
  }
}

/** 422: well-formed, but a business rule refuses it. */
export class Unprocessable extends HttpError {
  constructor(message: string, fields: FieldError[] = [], details: Record<string, unknown> = {}) {
    super(422, 'unprocessable', message, fields, details);
  }
}

/** Thrown when a record changed since the client read it (optimistic concurrency). */
export function staleVersion(what: string, sent: number, current: number | undefined): Conflict {
  return new Conflict(`${what} was changed by someone else (you sent version ${sent}, it is now ${current ?? 'gone'}); reload and retry`, {
    currentVersion: current,
  });
}
