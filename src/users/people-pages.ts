import express, { type Request, type Response, type Router } from 'express';
import { ui } from '../documents/ui-strings.js';
import { type HttpError } from '../http/errors.js';
import { Unprocessable } from '../lib/errors.js';
import type { Locale } from '../lib/config.js';
import { formPost, formText, pageLocale, renderPage, requireSignIn, allow, type PageContext } from '../http/pages.js';
import { parseOr400 } from '../http/validate.js';
import { ROLES } from './permissions.js';
import { chatError, chatFields, chatFromForm, chatSummary } from './chat-form.js';
import { createUserBody, patchUserBody } from './schemas.js';
import { sendSignInLink, type SignInMail } from './sign-in-mail.js';
import { deliveryState } from '../mail/pages.js';

/**
 * People, for admins: who has an account and their role, invitations by email (a one-time link to set a
 * password, through the outbox), role changes and disabling. The same schemas and service as /api/v1/users.
 */
export function peoplePages(services: PageContext & SignInMail): Router {
  const { users, config } = services;
  const router = express.Router();

  const render = async (req: Request, res: Response, opts: { error?: HttpError; values?: Record<string, string>; done?: string; chat?: { of: string; typed: Record<string, string> } } = {}) => {
    const locale = pageLocale(config, req);
    const fields = opts.error?.fields ?? [];
    // A refused chat form shows again open, on its person's row, with what was typed.
    const withChat = <P extends { email: string; chat?: Record<string, string> }>(p: P) => {
      const refusal = opts.chat?.of === p.email ? opts.error : undefined;
      return {
        ...p,
        chatSummary: chatSummary(locale, p.chat),
        chatFields: chatFields(locale, p.chat, refusal && opts.chat?.typed, refusal),
        chatRefused: refusal && (chatError(locale, refusal) ?? peopleMessage(refusal, locale)),
      };
    };
    renderPage(
      services,
      req,
      res,
      'people',
      {
        title: ui(locale, 'people.title'),
        people: (await withLinkState(services, await users.list(), locale, req.actor!.timezone)).map(withChat),
        roles: ROLES,
        values: opts.values ?? { role: 'editor' },
        done: opts.done,
        error: opts.error && !opts.chat && {
          message: peopleMessage(opts.error, locale),
          email: fields.some((f) => f.field === 'email') ? ui(locale, 'form.email') : undefined,
          name: fields.some((f) => f.field === 'name') ? ui(locale, 'form.needed') : undefined,
        },
      },
      opts.error?.status ?? 200,
    );
  };

  router.get('/people', requireSignIn, async (req, res) => {
    allow(req, 'admin');
    const done = typeof req.query.done === 'string' ? req.query.done.slice(0, 254) : undefined;
    await render(req, res, { done });
  });

  router.post(
    '/people/invite',
    ...formPost(
      'admin',
      async (req, actor) => {
        const body = parseOr400(createUserBody, { email: formText(req.body, 'email'), name: formText(req.body, 'name') || formText(req.body, 'email').split('@')[0], role: formText(req.body, 'role') }, 'person');
        const person = await users.create(body, actor);
        await sendSignInLink(services, person.email, 'invite', actor.name);
        return `/people?done=${encodeURIComponent(person.email)}`;
      },
      (req, res, error) => render(req, res, { error, values: { email: formText(req.body, 'email'), name: formText(req.body, 'name'), role: formText(req.body, 'role') } }),
    ),
  );

  // One form per person: role and disabled, version-checked like PATCH /api/v1/users/:email.
  router.post(
    '/people/:email',
    ...formPost(
      'admin',
      async (req, actor) => {
        const person = await users.find(String(req.params.email));
        const disabled = formText(req.body, 'disabled');
        const patch = parseOr400(
          patchUserBody,
          { version: Number(formText(req.body, 'version')), role: formText(req.body, 'role') || undefined, ...(disabled ? { disabled: disabled === 'true' } : {}) },
          'person',
        );
        // An admin who demoted or disabled themselves could leave nobody to undo it.
        if (person.email === actor.email && (patch.disabled || (patch.role && patch.role !== person.role))) {
          throw new Unprocessable('You cannot change your own role or disable yourself', [{ field: 'role', message: 'ask another admin' }]);
        }
        await users.update(person.email, patch, actor);
        return `/people#${encodeURIComponent(person.email)}`;
      },
      (req, res, error) => render(req, res, { error }),
    ),
  );

  // A person's chat identities, as they would keep them on /account (an admin fills them in for the team).
  router.post(
    '/people/:email/chat',
    ...formPost(
      'admin',
      async (req, actor) => {
        const person = await users.find(String(req.params.email));
        const { chat } = chatFromForm(req.body);
        await users.update(person.email, parseOr400(patchUserBody, { version: Number(formText(req.body, 'version')), chat }, 'person'), actor);
        return `/people#${encodeURIComponent(person.email)}`;
      },
      (req, res, error) => render(req, res, { error, chat: { of: String(req.params.email), typed: chatFromForm(req.body).typed } }),
    ),
  );

  // A new one-time link, for someone whose invitation expired or who never set a password.
  router.post(
    '/people/:email/link',
    ...formPost(
      'admin',
      async (req, actor) => {
        const person = await users.find(String(req.params.email));
        await sendSignInLink(services, person.email, person.passwordHash ? 'reset' : 'invite', actor.name);
        return `/people?done=${encodeURIComponent(person.email)}`;
      },
      (req, res, error) => render(req, res, { error }),
    ),
  );

  return router;
}

/** What a refused people form says, in the reader's words. */
function peopleMessage(error: HttpError, locale: Locale): string {
  if (error.status === 409) return error.message.startsWith('A person with email') ? ui(locale, 'people.exists') : ui(locale, 'people.stale');
  if (error.status === 422) return ui(locale, 'people.notYourself');
  return ui(locale, 'form.notSaved');
}

/** Each person with where their latest sign-in link stands (queued, sent, failed), as the outbox knows it. */
async function withLinkState<P extends { email: string }>(services: { outbox: SignInMail['outbox'] }, people: P[], locale: Locale, zone: string) {
  const links = await services.outbox.latestByRecipient('sign-in-');
  return people.map((p) => {
    const message = links.get(p.email);
    return { ...p, link: message && deliveryState(message, locale, zone) };
  });
}
