/**
 * The errors the domain throws. They say what went wrong (their `kind`), never how HTTP answers it:
 * src/http/error-handler.ts maps each kind to a status, once.
 */
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

/** malformed: the input itself is wrong; refused: well-formed, but a business rule says no. */
export type ErrorKind = 'malformed' | 'forbidden' | 'not_found' | 'conflict' | 'gone' | 'too_large' | 'refused';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    /** The stable code clients read (`not_found`, `link_used`, …). */
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

/** The input is malformed (types, unknown fields, operators). */
export class BadRequest extends DomainError {
  constructor(message: string, fields: FieldError[] = []) {
    super('malformed', 'bad_request', message, fields);
  }
}

export class Forbidden extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('forbidden', 'forbidden', message, [], details);
  }
}

export class NotFound extends DomainError {
  constructor(what: string) {
    super('not_found', 'not_found', `${what} not found`);
  }
}

/** Well-formed, but it conflicts with the record's current state. */
export class Conflict extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('conflict', 'conflict', message, [], details);
  }
}

/** Well-formed, but a business rule refuses it. */
export class Unprocessable extends DomainError {
  constructor(message: string, fields: FieldError[] = [], details: Record<string, unknown> = {}) {
    super('refused', 'unprocessable', message, fields, details);
  }
}

/** The input is larger than its stated limit. */
export class TooLarge extends DomainError {
  constructor(message: string) {
    super('too_large', 'payload_too_large', message);
  }
}

/** Thrown when a record changed since the client read it (optimistic concurrency). */
export function staleVersion(what: string, sent: number, current: number | undefined): Conflict {
  return new Conflict(`${what} was changed by someone else (you sent version ${sent}, it is now ${current ?? 'gone'}); reload and retry`, {
    currentVersion: current,
  });
}
