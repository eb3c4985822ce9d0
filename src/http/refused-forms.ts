import { randomBytes } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Clock } from '../lib/clock.js';

interface Kept {
  owner: string;
  status: number;
  html: string;
  until: number;
}

/**
 * Refused page forms, kept so that the page showing the refusal and everything typed lives at the form's
 * own GET address (post-redirect-get): a reload then shows it again instead of re-posting or a 405.
 * Kept in this process's memory for a while, within a byte budget (oldest dropped first); each is tied to
 * the person who posted it and found by an unguessable token.
 */
export class RefusedForms {
  private readonly kept = new Map<string, Kept>();
  private bytes = 0;

  constructor(
    private readonly clock: Clock,
    private readonly budgetBytes = 64 * 1024 * 1024,
    private readonly keepMs = 60 * 60 * 1000,
  ) {}

  /** Keeps a refused page; the token to show it by. */
  keep(owner: string, status: number, html: string): string {
    const token = randomBytes(16).toString('base64url');
    this.kept.set(token, { owner, status, html, until: this.clock.now().getTime() + this.keepMs });
    this.bytes += html.length;
    // A Map iterates in insertion order, so the first entries are the oldest.
    for (const [old, entry] of this.kept) {
      if (this.bytes <= this.budgetBytes && entry.until > this.clock.now().getTime()) break;
      if (old === token) break;
      this.drop(old, entry);
    }
    return token;
  }

  /** The kept page for `token`, when it is its owner's and not expired. */
  find(owner: string, token: string): { status: number; html: string } | undefined {
    const entry = this.kept.get(token);
    if (!entry || entry.owner !== owner) return undefined;
    if (entry.until <= this.clock.now().getTime()) {
      this.drop(token, entry);
      return undefined;
    }
    return entry;
  }

  private drop(token: string, entry: Kept): void {
    this.kept.delete(token);
    this.bytes -= entry.html.length;
  }
}

/** Whose a refused page is: the signed-in person's, or before sign-in anyone's holding the token. */
export function refusalOwner(req: Request): string {
  return req.actor?.id ?? '';
}

/** The query parameter a re-shown refusal is found by. */
export const REFUSED_PARAM = 'refused';

/** A GET carrying a kept refusal's token answers that page (status and all), never cached. */
export function reshowRefused(forms: RefusedForms): RequestHandler {
  return (req, res, next) => {
    const token = req.query[REFUSED_PARAM];
    if (req.method !== 'GET' || typeof token !== 'string') return next();
    const kept = forms.find(refusalOwner(req), token);
    if (!kept) return next();
    res.set('Cache-Control', 'no-store').status(kept.status).type('html').send(kept.html);
  };
}
