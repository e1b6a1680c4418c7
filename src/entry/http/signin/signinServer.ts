/**
 * The smart card sign-in listener (`tessera serve --signin-port N`): its own HTTPS server
 * that asks every client for a certificate (TLS CertificateRequest naming the configured
 * CAs), hands the presented chain to the relying party's validator (src/signin), and on
 * success issues the same session cookie as the password sign-in, so the person is then
 * signed in to /certsrv too (cookies are per host, not per port).
 *
 *   GET /signin        "Test my smart card": the page (JSON with Accept: application/json)
 *   GET /signin.json   the JSON variant for scripts
 *
 * Proof of possession is the TLS handshake itself: a client that presents a certificate
 * must sign the handshake transcript with its private key (CertificateVerify, RFC 8446
 * §4.4.3 / RFC 5246 §7.4.8) and OpenSSL aborts the handshake when that signature does not
 * verify — before any HTTP request exists. Chain verification is left to the validator
 * (rejectUnauthorized false): Node's own verification knows nothing of the authentication
 * trust list, EKU policy, OCSP or the directory. The listener issues no session tickets
 * and refuses a resumed session, so every sign-in comes with its own CertificateVerify
 * (research/security.md §2 item 2, acceptance item 26).
 *
 * Every attempt is audited (`signin.succeeded` / `signin.refused` with the reason code)
 * and rate limited per client address and per certificate. The client gets one generic
 * refusal (SIGNIN_REFUSED) with the list of checks; the precise detail goes to the audit
 * record and the log only.
 */
import { constants, createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import { errorRegistry, type ErrorCode } from '../../../errors/registry.js';
import { TesseraError } from '../../../errors/TesseraError.js';
import { SmartCardValidator, type SigninDecision } from '../../../signin/SmartCardValidator.js';
import { possessionOf, presentedChain } from '../../../signin/tlsPeer.js';
import { validatorSettingsFor } from '../../../signin/signinSettings.js';
import type { RevocationFetcher } from '../../../signin/httpFetch.js';
import type { Tessera } from '../../../Tessera.js';
import { toPem } from '../../../x509/pem.js';
import { setSessionCookie } from '../api/sessionRoutes.js';
import { RateLimiter } from '../auth/RateLimiter.js';
import { SessionTokens } from '../auth/sessionToken.js';
import { contentSecurityPolicy, newNonce } from '../certsrv/CertsrvContext.js';
import { layout, type Page } from '../certsrv/Layout.js';
import { staticFile } from '../certsrv/staticFiles.js';
import { html } from '../certsrv/html.js';
import { signinJson, signinPage } from './signinPage.js';

export interface SigninServerOptions {
  readonly tessera: Tessera;
  /** The session-cookie HMAC key (keys/session.key), shared with the main listener. */
  readonly sessionKey: Buffer;
  readonly host: string;
  /** 0: an ephemeral port (tests). */
  readonly port: number;
  readonly logger?: FastifyServerOptions['logger'];
  /** A validator to use instead of the one tessera.json describes (tests inject a clock this way). */
  readonly validator?: SmartCardValidator;
  /** For the validator built from tessera.json: its clock and fetcher. */
  readonly now?: () => Date;
  readonly fetch?: RevocationFetcher;
  /** Attempts per minute per client address and per certificate (default: tessera.json signin, else 60 and 20; 0: off). */
  readonly limits?: { readonly perAddress?: number; readonly perCertificate?: number };
  /** TLS key and certificate (default: the site's, tls/server.key and tls/server.pem). */
  readonly tls?: { readonly key: Buffer | string; readonly cert: Buffer | string };
}

export interface SigninServer {
  readonly app: FastifyInstance;
  /** https://<host>:<port> */
  readonly url: string;
  close(): Promise<void>;
}

/** HTTP status of a refusal: 401 when there is nothing to check, 5xx for our own trouble, 403 otherwise. */
function refusalStatus(code: ErrorCode): number {
  if (code === 'SIGNIN_CERT_MISSING' || code === 'SIGNIN_POSSESSION_NOT_PROVEN') return 401;
  const s = errorRegistry[code].status;
  return s >= 500 ? s : 403;
}

export async function buildSigninApp(o: SigninServerOptions): Promise<FastifyInstance> {
  const t = o.tessera;
  const validator = o.validator ?? new SmartCardValidator(await validatorSettingsFor(t), { accounts: t.directory, now: o.now ?? (() => t.now()), fetch: o.fetch });
  const tls = o.tls ?? { key: await readFile(t.paths.tlsKey), cert: await readFile(t.paths.tlsCert) };
  const trust = validator.trust;
  const sessions = new SessionTokens(o.sessionKey, t);
  const s = t.config.signin ?? {};
  const byAddress = new RateLimiter(o.limits?.perAddress ?? s.attemptsPerMinutePerAddress ?? 60, 60_000);
  const byCertificate = new RateLimiter(o.limits?.perCertificate ?? s.attemptsPerMinutePerCertificate ?? 20, 60_000);
  const issuing = t.caCertificate(t.config.issuingCa);
  const caName = /(?:^|,)CN=([^,]+)/.exec(issuing.subject)?.[1] ?? issuing.subject;

  const app = Fastify({
    logger: o.logger ?? false,
    bodyLimit: 16 * 1024,
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    return503OnClosing: true,
    https: {
      key: tls.key,
      cert: tls.cert,
      // The CertificateRequest names these CAs, so a browser offers the card's certificate.
      ca: [...trust.authenticationCas, ...trust.anchors].map((c) => toPem(c.der, 'CERTIFICATE')),
      requestCert: true,
      // The validator decides (module comment); the handshake still checks CertificateVerify.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      // No session tickets: each connection proves possession in its own handshake.
      secureOptions: constants.SSL_OP_NO_TICKET,
    },
  } as FastifyServerOptions) as unknown as FastifyInstance;
  await app.register(cookie);

  app.addHook('onRequest', async (req, reply) => {
    req.cspNonce = newNonce();
    reply.header('content-security-policy', contentSecurityPolicy(req.cspNonce));
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('strict-transport-security', 'max-age=31536000');
    reply.header('cache-control', 'no-store');
  });

  const render = (req: FastifyRequest, reply: FastifyReply, page: Page, status: number) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(layout({ caName, organization: t.config.organization, user: null, roles: [], csrf: null, nonce: req.cspNonce ?? newNonce() }, page));

  const wantsJson = (req: FastifyRequest, forced: boolean) => forced || (/application\/json/i.test(String(req.headers.accept ?? '')) && !/text\/html/i.test(String(req.headers.accept ?? '')));

  const audit = async (req: FastifyRequest, d: SigninDecision, chain: Buffer[]) => {
    const failed = d.ok ? undefined : d.checks.find((c) => c.status === 'failed');
    const username = d.ok ? d.account.username : d.account;
    const ours = d.certificate && d.certificate.issuer === issuing.subject;
    await t.store.transaction((tx) =>
      tx.audit.append({
        actor: username ?? 'anonymous',
        action: d.ok ? 'signin.succeeded' : 'signin.refused',
        target: username ?? null,
        serial: ours ? d.certificate!.serial : null,
        source: req.ip,
        details: {
          method: 'smartcard',
          ...(d.ok ? { mapping: { kind: d.mapping.kind, strength: d.mapping.strength, sid: d.mapping.sid ?? null, upn: d.mapping.upn ?? null } } : { code: d.code, check: failed?.id ?? null, detail: d.detail.slice(0, 2000) }),
          certificate: d.certificate ?? null,
          presented: chain.length,
          // Soft-fail revocation: every sign-in it lets through says so in its record (docs/signin.md).
          ...(d.ok && d.warnings?.length ? { warnings: d.warnings } : {}),
        },
      }),
    );
  };

  const handle = async (req: FastifyRequest, reply: FastifyReply, forcedJson: boolean) => {
    const json = wantsJson(req, forcedJson);
    const socket = req.raw.socket as TLSSocket;
    const chain = presentedChain(socket);
    const fingerprint = chain[0] ? createHash('sha256').update(chain[0]).digest('hex') : undefined;
    // Rate limits per client address and per certificate (hits counted before any work).
    const overAddress = !byAddress.hit(req.ip);
    const overCert = fingerprint !== undefined && !byCertificate.hit(fingerprint);
    if (overAddress || overCert) {
      req.log.warn({ source: req.ip, fingerprint, code: 'RATE_LIMITED' }, 'smart card sign-in rate limited');
      await t.store
        .transaction((tx) => tx.audit.append({ actor: 'anonymous', action: 'signin.refused', source: req.ip, details: { method: 'smartcard', code: 'RATE_LIMITED', detail: overAddress ? `address ${req.ip}` : `certificate ${fingerprint}` } }))
        .catch((e) => req.log.error({ err: e }, 'audit failed'));
      reply.header('retry-after', '60');
      if (json) return reply.code(429).send({ result: 'refused', code: 'RATE_LIMITED', message: errorRegistry.RATE_LIMITED.message });
      return render(req, reply, { id: 'smartcard-signin', title: 'Test my smart card', body: html`<p class="error" role="alert">${errorRegistry.RATE_LIMITED.message}</p>` }, 429);
    }

    const decision = await validator.validate(chain, possessionOf(socket));
    let sessionExpires: Date | undefined;
    try {
      await audit(req, decision, chain);
    } catch (e) {
      req.log.error({ err: e }, 'smart card sign-in could not be audited');
      // No sign-in without its audit record.
      if (decision.ok) {
        const err = new TesseraError('STORAGE_UNAVAILABLE', 'the sign-in could not be audited');
        return json ? reply.code(503).send({ result: 'error', code: err.code, message: err.message }) : render(req, reply, { id: 'smartcard-signin', title: 'Test my smart card', body: html`<p class="error" role="alert">${err.message}</p>` }, 503);
      }
    }
    if (decision.ok) {
      const { token, session } = await sessions.issue(decision.account, { method: 'smartcard', source: req.ip });
      setSessionCookie(reply, token, session.expires, true);
      sessionExpires = new Date(session.expires);
      req.log[decision.mapping.strength === 'weak' ? 'warn' : 'info'](
        { username: decision.account.username, mapping: decision.mapping.kind, strength: decision.mapping.strength, serial: decision.certificate.serial, source: req.ip },
        decision.mapping.strength === 'weak' ? 'smart card sign-in with a WEAK (UPN-only) mapping' : 'smart card sign-in',
      );
      if (decision.warnings?.length) req.log.warn({ username: decision.account.username, serial: decision.certificate.serial, warnings: decision.warnings }, 'smart card sign-in let through with warnings (revocation soft-fail)');
    } else {
      const level = errorRegistry[decision.code].status >= 500 ? 'error' : 'warn';
      req.log[level]({ code: decision.code, detail: decision.detail, source: req.ip, fingerprint }, 'smart card sign-in refused');
    }
    const view = { decision, siteUrl: t.config.siteUrl, ...(sessionExpires ? { sessionExpires } : {}) };
    const status = decision.ok ? 200 : refusalStatus(decision.code);
    if (json) return reply.code(status).send(signinJson(view));
    return render(req, reply, signinPage(view), status);
  };

  app.get('/', async (_req, reply) => reply.redirect('/signin', 302));
  app.get('/signin', (req, reply) => handle(req, reply, false));
  app.get('/signin.json', (req, reply) => handle(req, reply, true));
  // The site's stylesheet, so the page keeps the site's look on this origin.
  app.get('/certsrv/static/:file', async (req, reply) => {
    const f = await staticFile((req.params as { file: string }).file);
    if (!f) return reply.code(404).type('text/plain').send('not found');
    return reply.type(f.type).header('cache-control', 'public, max-age=300').send(f.body);
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).type('text/plain; charset=utf-8').send(`${errorRegistry.NOT_FOUND.message} [NOT_FOUND]\n`));
  app.setErrorHandler((err, req, reply) => {
    req.log.error({ err }, 'sign-in listener failed');
    return reply.code(500).type('text/plain; charset=utf-8').send(`${errorRegistry.INTERNAL.message} [INTERNAL]\n`);
  });
  return app;
}

export async function startSigninServer(o: SigninServerOptions): Promise<SigninServer> {
  const app = await buildSigninApp(o);
  try {
    await app.listen({ host: o.host, port: o.port });
  } catch (e) {
    await app.close().catch(() => {});
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new TesseraError('CONFIG_INVALID', `port ${o.port} on ${o.host} is already in use; choose another --signin-port`);
    if (code === 'EACCES') throw new TesseraError('CONFIG_INVALID', `no permission to listen on port ${o.port}; use a port above 1023`);
    throw e;
  }
  const a = app.server.address();
  const port = typeof a === 'object' && a ? a.port : o.port;
  const shown = o.host === '0.0.0.0' || o.host === '::' ? 'localhost' : o.host;
  return { app, url: `https://${shown}:${port}`, close: () => app.close() };
}
