/**
 * /certsrv — the web enrollment site, AD CS Web Enrollment's URLs, fields and result
 * markers (docs/certsrv.md), in pages of our own. Its own scope: authentication (session from the sign-in form
 * for people, HTTP Basic or a client certificate for scripts; never NTLM — ESC8),
 * anti-forgery checks on every state change, a CSP with a per-response nonce, and an
 * error renderer that answers with a page, never a stack trace.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { errorRegistry } from '../../../errors/registry.js';
import { TesseraError } from '../../../errors/TesseraError.js';
import { cardAgentUrl } from '../../../config/webSettings.js';
import { mayEnroll } from '../../../policy/mayEnroll.js';
import { hasRole, type Actor } from '../../../ra/Actor.js';
import { denyRequest } from '../../../ra/denyRequest.js';
import { resubmit } from '../../../ra/resubmit.js';
import { parseReason, release, revoke } from '../../../ra/revoke.js';
import { currentCrl } from '../../../ra/currentCrl.js';
import { requirePrincipal, parseSerial } from '../api/ApiContext.js';
import { setSessionCookie } from '../api/sessionRoutes.js';
import { SESSION_COOKIE } from '../auth/Authenticator.js';
import { retryAfterOf } from '../auth/RateLimitedError.js';
import { crossSiteGuard, SAFE_METHODS } from '../auth/crossSiteGuard.js';
import { catalogOrder } from '../../../template/catalogOrder.js';
import { statusOf, toTesseraError } from '../problem.js';
import { certfnsh, pendingEntries, setRequestsCookie } from './certfnsh.js';
import { contentSecurityPolicy, newNonce, sendPage, type CertsrvContext } from './CertsrvContext.js';
import { certcrl, certnew } from './downloads.js';
import { escapeHtml, html } from './html.js';
import { advancedFormPage } from './pages/advancedForm.js';
import { caDownloadsPage } from './pages/caDownloads.js';
import { enrollStationPage } from './pages/enrollStation.js';
import { managePage } from './pages/manage.js';
import { advancedMenuPage, requestMenuPage, welcomePage } from './pages/menus.js';
import { pasteFormPage } from './pages/pasteForm.js';
import { issuedEntry } from './issuedEntry.js';
import { pendingListPage } from './pages/pendingList.js';
import { issuedToRequester } from '../../../ra/issuedToRequester.js';
import { errorPage } from './pages/results.js';
import { signinPage } from './pages/signin.js';
import { params, readGetBody } from './params.js';
import { staticFile } from './staticFiles.js';

/** Pages anyone may open: the sign-in form and the stylesheet/script. */
const PUBLIC = /^\/certsrv\/(signin|static\/[^/]+)$/;

/** A browser navigating (it accepts HTML) is sent to the sign-in form; a script gets a Basic challenge. */
function wantsHtml(req: FastifyRequest): boolean {
  return /text\/html/i.test(String(req.headers.accept ?? ''));
}

/** Only same-site paths under /certsrv are valid return targets (no open redirect). */
function safeReturn(r: string | undefined): string {
  return r && /^\/certsrv\/[A-Za-z0-9._\-/?=&%]*$/.test(r) && !r.includes('//') ? r : '/certsrv/';
}

export async function certsrvRoutes(app: FastifyInstance, ctx: CertsrvContext): Promise<void> {
  const t = ctx.tessera;

  app.addHook('onRequest', async (req, reply) => {
    req.cspNonce = newNonce();
    reply.header('content-security-policy', contentSecurityPolicy(req.cspNonce));
    reply.header('x-frame-options', 'DENY');
  });

  // Authentication for every page but the public ones.
  app.addHook('preHandler', async (req, reply) => {
    const path = req.url.split('?')[0];
    try {
      req.principal = await ctx.auth.resolve(req);
    } catch (e) {
      const err = toTesseraError(e);
      if (PUBLIC.test(path)) return;
      if (err.code === 'AUTH_FAILED' || err.code === 'USER_DISABLED') {
        reply.header('www-authenticate', 'Basic realm="Tessera", charset="UTF-8"');
        // A disabled account answers as a wrong password does (no account enumeration).
        return sendPage(
          ctx,
          req,
          reply,
          errorPage({ mode: '', dispositionMessage: err.message, code: err.code, intro: 'Sign-in failed.' }),
          statusOf('AUTH_FAILED'),
        );
      }
      throw err;
    }
    if (req.principal || PUBLIC.test(path)) return;
    const hadSession = !!(req.cookies as Record<string, string | undefined>)[SESSION_COOKIE];
    if (wantsHtml(req)) {
      const ret = encodeURIComponent(req.url.startsWith('/certsrv/') ? req.url : '/certsrv/');
      return reply.redirect(`/certsrv/signin?return=${ret}${hadSession ? '&expired=1' : ''}`, 302);
    }
    // Scripts (and Certipy's probe) expect 401 with a challenge on /certsrv/.
    reply.header('www-authenticate', 'Basic realm="Tessera", charset="UTF-8"');
    return reply
      .code(statusOf('AUTH_REQUIRED'))
      .type('text/html; charset=utf-8')
      .send(
        '<!DOCTYPE html><title>401 Unauthorized</title><p>Sign in at <a ' +
          'href="/certsrv/signin">/certsrv/signin</a>, or send HTTP Basic credentials.</p>',
      );
  });

  // Anti-forgery on every state change. Whatever the credentials (Basic a browser cached, a
  // client certificate, a session, none at all for the sign-in form), a post a browser says
  // came from another site is refused before anything else runs (auth/crossSiteGuard.ts).
  const refuseCrossSite = crossSiteGuard(t);
  app.addHook('onRequest', async (req) => {
    if (!SAFE_METHODS.has(req.method)) await refuseCrossSite(req);
  });
  // In the handlers that change state: certfnsh.asp also submits on GET (params.ts), which
  // the hook lets through (it has refused every other method already); and a session must
  // echo its page's token as well.
  const checkForgery = async (req: FastifyRequest, p: ReadonlyMap<string, string>) => {
    if (SAFE_METHODS.has(req.method)) await refuseCrossSite(req);
    const principal = req.principal;
    if (principal?.method === 'session' && p.get('csrf') !== ctx.auth.sessions.csrf(principal.session!))
      throw new TesseraError('CSRF_TOKEN_INVALID');
  };

  app.setErrorHandler((error, req, reply) => {
    const err = toTesseraError(error);
    ctx.metrics?.recordError(err.code);
    const status = statusOf(err.code);
    if (status >= 500) req.log.error({ code: err.code, detail: err.detail, err: error }, 'certsrv request failed');
    const detail = status < 500 && err.detail ? `${err.message} (${err.detail})` : err.message;
    if (err.code === 'AUTH_REQUIRED' || err.code === 'AUTH_FAILED')
      reply.header('www-authenticate', 'Basic realm="Tessera", charset="UTF-8"');
    if (err.code === 'RATE_LIMITED') reply.header('retry-after', String(retryAfterOf(err)));
    return sendPage(
      ctx,
      req,
      reply,
      errorPage({
        mode: '',
        dispositionMessage: detail,
        code: err.code,
        intro: 'The request could not be completed.',
        hint:
          err.code === 'CSRF_TOKEN_INVALID'
            ? 'Go back, reload the page and submit again.'
            : err.code === 'CROSS_SITE_REFUSED'
              ? 'Open this site yourself and submit the form from its own page.'
              : undefined,
      }),
      status,
    );
  });

  app.setNotFoundHandler((req, reply) =>
    sendPage(
      ctx,
      req,
      reply,
      errorPage({
        mode: '',
        dispositionMessage: `There is no page ${req.url.split('?')[0]}.`,
        code: 'NOT_FOUND',
        intro: 'Page not found.',
      }),
      statusOf('NOT_FOUND'),
    ),
  );

  const actorOf = (req: FastifyRequest): Actor => requirePrincipal(req).actor;
  const enrollable = async (req: FastifyRequest) => {
    const user = requirePrincipal(req).actor.user;
    return catalogOrder(
      (await t.templates.list()).filter((tpl) => tpl.enabled && mayEnroll(user, tpl)),
      t.config.web?.templateOrder,
    );
  };
  const csrfValue = (req: FastifyRequest) => {
    const p = requirePrincipal(req);
    return p.session ? ctx.auth.sessions.csrf(p.session) : '';
  };

  // --- sign-in -----------------------------------------------------------------------------
  app.get('/signin', async (req, reply) => {
    const q = req.query as { return?: string; expired?: string };
    return sendPage(
      ctx,
      req,
      reply,
      signinPage({
        returnTo: safeReturn(q.return),
        error: q.expired ? errorRegistry.SESSION_EXPIRED.message : undefined,
      }),
    );
  });
  app.post('/signin', async (req, reply) => {
    const p = params(req);
    const username = p.get('username') ?? '';
    const returnTo = safeReturn(p.get('return'));
    try {
      const { token, session } = await ctx.auth.signIn(username, p.get('password') ?? '', req.ip);
      setSessionCookie(reply, token, session.expires, true);
      return reply.redirect(returnTo, 303);
    } catch (e) {
      const err = toTesseraError(e);
      if (!['AUTH_FAILED', 'USER_DISABLED', 'RATE_LIMITED'].includes(err.code)) throw err;
      // The same words for an unknown user, a wrong password and a disabled account.
      const message =
        err.code === 'RATE_LIMITED' ? `${err.message} (${retryAfterOf(err)} s)` : errorRegistry.AUTH_FAILED.message;
      if (err.code === 'RATE_LIMITED') reply.header('retry-after', String(retryAfterOf(err)));
      return sendPage(
        ctx,
        req,
        reply,
        signinPage({ returnTo, username, error: message }),
        statusOf(err.code === 'RATE_LIMITED' ? 'RATE_LIMITED' : 'AUTH_FAILED'),
      );
    }
  });
  app.post('/signout', async (req, reply) => {
    await checkForgery(req, params(req));
    await ctx.auth.signOut(req);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/certsrv/signin', 303);
  });

  // --- static files ----------------------------------------------------------------------
  app.get('/static/:file', async (req, reply) => {
    const f = await staticFile((req.params as { file: string }).file);
    if (!f) return reply.code(statusOf('NOT_FOUND')).type('text/plain').send('not found');
    return reply.type(f.type).header('cache-control', 'public, max-age=300').send(f.body);
  });

  // --- pages -------------------------------------------------------------------------------
  const welcome = async (req: FastifyRequest, reply: FastifyReply) => {
    const u = requirePrincipal(req).actor.user;
    return sendPage(
      ctx,
      req,
      reply,
      welcomePage({
        displayName: u.displayName,
        isAgent: hasRole(u, t.config.roles, 'enrollmentAgents'),
        isManager: hasRole(u, t.config.roles, 'certificateManagers'),
        signinUrl: ctx.signinUrl,
      }),
    );
  };
  app.get('/', welcome);
  app.get('/certdflt.asp', welcome);
  app.get('/default.asp', welcome);
  app.get('/certrqus.asp', async (req, reply) =>
    sendPage(ctx, req, reply, requestMenuPage((await enrollable(req)).find((x) => x.name === 'User'))),
  );
  app.get('/certrqad.asp', async (req, reply) => sendPage(ctx, req, reply, advancedMenuPage()));
  app.get('/certrqma.asp', async (req, reply) => {
    const selected = (req.query as { template?: string }).template;
    return sendPage(
      ctx,
      req,
      reply,
      advancedFormPage({
        templates: await enrollable(req),
        selected,
        csrf: csrfValue(req),
        agentUrl: cardAgentUrl(t.config),
      }),
    );
  });
  app.get('/certrqxt.asp', async (req, reply) => {
    const templates = (await enrollable(req)).filter(
      (x) =>
        x.issuance.agentSignatures === 0 ||
        hasRole(requirePrincipal(req).actor.user, t.config.roles, 'enrollmentAgents'),
    );
    return sendPage(ctx, req, reply, pasteFormPage({ templates, csrf: csrfValue(req) }));
  });
  app.get('/certckpn.asp', async (req, reply) => {
    const issued = (await issuedToRequester(t, actorOf(req))).map(({ request, certificate }) =>
      issuedEntry(request.id, request.template, certificate.der),
    );
    return sendPage(
      ctx,
      req,
      reply,
      pendingListPage({ entries: pendingEntries(req), csrf: csrfValue(req), issued, agentUrl: cardAgentUrl(t.config) }),
    );
  });
  app.get('/certcarc.asp', async (req, reply) => {
    const chain = t.chain();
    const fingerprint = createHash('sha256')
      .update(chain[chain.length - 1])
      .digest('hex')
      .toUpperCase()
      .match(/../g)!
      .join(':');
    const hasDelta = await currentCrl(t, t.config.issuingCa, 'delta').then(
      () => true,
      () => false,
    );
    const issuing = t.caCertificate(t.config.issuingCa);
    return sendPage(ctx, req, reply, caDownloadsPage({ caName: issuing.subject, renewals: 0, fingerprint, hasDelta }));
  });
  app.get('/certsces.asp', async (req, reply) => {
    const u = requirePrincipal(req).actor.user;
    if (!hasRole(u, t.config.roles, 'enrollmentAgents'))
      throw new TesseraError('FORBIDDEN', 'the enrollment station is for enrollment agents');
    return sendPage(
      ctx,
      req,
      reply,
      enrollStationPage({
        templates: await enrollable(req),
        domain: t.config.domain.name,
        csrf: csrfValue(req),
        agentUrl: cardAgentUrl(t.config),
      }),
    );
  });

  // --- request processing and downloads -----------------------------------------------------
  const fnsh = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = params(req, await readGetBody(req));
    if (p.size === 0)
      return sendPage(
        ctx,
        req,
        reply,
        errorPage({ mode: '', dispositionMessage: 'No form data was submitted.', code: 'INPUT_INVALID' }),
      );
    await checkForgery(req, p);
    return certfnsh(ctx, req, reply, p);
  };
  app.post('/certfnsh.asp', fnsh);
  app.get('/certfnsh.asp', fnsh);
  app.get('/certnew.cer', async (req, reply) => certnew(ctx, req, reply, params(req), 'cer'));
  app.get('/certnew.p7b', async (req, reply) => certnew(ctx, req, reply, params(req), 'p7b'));
  app.get('/certcrl.crl', async (req, reply) => certcrl(ctx, req, reply, params(req)));

  app.post('/certrmpn.asp', async (req, reply) => {
    const p = params(req);
    await checkForgery(req, p);
    const action = (p.get('action') ?? '').toLowerCase();
    const id = Number(p.get('reqid'));
    if (action === 'rmpn' || action === 'inst') {
      setRequestsCookie(
        reply,
        pendingEntries(req).filter((e) => e.id !== id),
      );
      if (action === 'rmpn') return reply.redirect('/certsrv/certckpn.asp', 303);
      return sendPage(ctx, req, reply, {
        id: 'installed',
        title: 'Certificate Installed',
        body: html`<p>Your new certificate has been successfully installed.</p><p><a href="/certsrv/">Home</a></p>`,
      });
    }
    if (action === 'instca')
      return sendPage(ctx, req, reply, {
        id: 'installed',
        title: 'CA Certificate Installed',
        body: html`<p>The CA certificate chain has been installed.</p>`,
      });
    return sendPage(
      ctx,
      req,
      reply,
      errorPage({ mode: action, dispositionMessage: `Unknown action ${escapeHtml(action)}.`, code: 'INPUT_INVALID' }),
    );
  });

  // --- certificate managers ------------------------------------------------------------------
  const manage = async (req: FastifyRequest, reply: FastifyReply, notice?: string, error?: string) => {
    const u = requirePrincipal(req).actor.user;
    if (!hasRole(u, t.config.roles, 'certificateManagers'))
      throw new TesseraError('FORBIDDEN', 'managing requests is for certificate managers');
    const [pending, recent] = await Promise.all([
      t.store.requests.list({ disposition: 'pending', limit: 200 }),
      t.store.certificates.list({ limit: 50 }),
    ]);
    return sendPage(
      ctx,
      req,
      reply,
      managePage({
        pending,
        recent: recent.filter((c) => c.status !== 'reserved' && c.status !== 'abandoned'),
        csrf: csrfValue(req),
        notice,
        error,
      }),
    );
  };
  app.get('/manage.asp', async (req, reply) => manage(req, reply));
  app.post('/manage.asp', async (req, reply) => {
    const p = params(req);
    await checkForgery(req, p);
    const actor = actorOf(req);
    const action = p.get('action');
    try {
      if (action === 'approve') {
        const r = await resubmit(t, actor, Number(p.get('id')));
        return manage(
          req,
          reply,
          r.disposition === 'issued' ? `Request ${r.requestId} was issued (serial ${r.serial}).` : undefined,
          r.disposition !== 'issued' ? `Request ${r.requestId} was denied on approval: ${r.message}` : undefined,
        );
      }
      if (action === 'deny') {
        const r = await denyRequest(t, actor, Number(p.get('id')), p.get('reason') || undefined);
        return manage(req, reply, `Request ${r.requestId} was denied.`);
      }
      if (action === 'revoke') {
        const r = await revoke(t, actor, parseSerial(p.get('serial') ?? ''), parseReason(p.get('reason')));
        return manage(req, reply, `Certificate ${r.serial} was revoked (${r.reason}).`);
      }
      if (action === 'release') {
        const serial = parseSerial(p.get('serial') ?? '');
        await release(t, actor, serial);
        return manage(req, reply, `Certificate ${serial} was released from hold.`);
      }
      throw new TesseraError('INPUT_INVALID', `unknown action ${action}`);
    } catch (e) {
      const err = toTesseraError(e);
      if (statusOf(err.code) >= 500 || err.code === 'FORBIDDEN' || err.code === 'CSRF_TOKEN_INVALID') throw err;
      return manage(req, reply, undefined, err.detail ? `${err.message} (${err.detail})` : err.message);
    }
  });
}
