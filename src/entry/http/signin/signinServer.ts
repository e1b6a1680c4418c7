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
 * (docs/security.md §8.1; RFC 8446 §4.4.3).
 *
 * Every attempt is audited (`signin.succeeded` / `signin.refused` with the reason code)
 * and rate limited per client address and per certificate. The client gets one generic
 * refusal (SIGNIN_REFUSED) with the list of checks; the precise detail goes to the audit
 * record and the log only.
 */
import { constants, createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import cookie from '@fastify/cookie';
import { errorRegistry, type ErrorCode } from '../../../errors/registry.js';
import { TesseraError } from '../../../errors/TesseraError.js';
import { readTlsIdentity } from '../../../keys/serviceKeys.js';
import { auditSmartCardSignIn } from '../../../ra/auditSmartCardSignIn.js';
import { SmartCardValidator, type SigninDecision } from '../../../signin/SmartCardValidator.js';
import { possessionOf, presentedChain } from '../../../signin/tlsPeer.js';
import { validatorSettingsFor } from '../../../config/validatorSettingsFor.js';
import type { RevocationFetcher } from '../../../signin/httpFetch.js';
import type { Tessera } from '../../../Tessera.js';
import { toPem } from '../../../x509/pem.js';
import { statusOf } from '../problem.js';
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
  /**
   * Attempts per minute per client address and per certificate (default: tessera.json signin, else 60 and 20; 0: off).
   */
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

/**
 * HTTP status of a refusal. The client is told SIGNIN_REFUSED, and gets its status, unless
 * the reason's own status says there was nothing to check (401: no certificate, no proof
 * of possession) or that the trouble is ours (5xx).
 */
function refusalStatus(code: ErrorCode): number {
  const s = statusOf(code);
  return s === 401 || s >= 500 ? s : statusOf('SIGNIN_REFUSED');
}

export async function buildSigninApp(o: SigninServerOptions): Promise<FastifyInstance> {
  const t = o.tessera;
  const validator =
    o.validator ??
    new SmartCardValidator(await validatorSettingsFor(t), {
      accounts: t.directory,
      now: o.now ?? (() => t.now()),
      fetch: o.fetch,
    });
  const tls = o.tls ?? (await readTlsIdentity(t.paths));
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
      .send(
        layout(
          {
            caName,
            organization: t.config.organization,
            user: null,
            roles: [],
            csrf: null,
            nonce: req.cspNonce ?? newNonce(),
          },
          page,
        ),
      );

  const wantsJson = (req: FastifyRequest, forced: boolean) =>
    forced ||
    (/application\/json/i.test(String(req.headers.accept ?? '')) &&
      !/text\/html/i.test(String(req.headers.accept ?? '')));

  const audit = (req: FastifyRequest, d: SigninDecision, chain: Buffer[]) =>
    auditSmartCardSignIn(t, { source: req.ip, decision: d, presented: chain.length });

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
      const rateLimited = overAddress ? `address ${req.ip}` : `certificate ${fingerprint}`;
      const refused = auditSmartCardSignIn(t, { source: req.ip, rateLimited });
      await refused.catch((e) => req.log.error({ err: e }, 'audit failed'));
      reply.header('retry-after', '60');
      if (json)
        return reply
          .code(statusOf('RATE_LIMITED'))
          .send({ result: 'refused', code: 'RATE_LIMITED', message: errorRegistry.RATE_LIMITED.message });
      return render(
        req,
        reply,
        {
          id: 'smartcard-signin',
          title: 'Test my smart card',
          body: html`<p class="error" role="alert">${errorRegistry.RATE_LIMITED.message}</p>`,
        },
        statusOf('RATE_LIMITED'),
      );
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
        const status = statusOf(err.code);
        return json
          ? reply.code(status).send({ result: 'error', code: err.code, message: err.message })
          : render(
              req,
              reply,
              {
                id: 'smartcard-signin',
                title: 'Test my smart card',
                body: html`<p class="error" role="alert">${err.message}</p>`,
              },
              status,
            );
      }
    }
    if (decision.ok) {
      const { token, session } = await sessions.issue(decision.account, { method: 'smartcard', source: req.ip });
      setSessionCookie(reply, token, session.expires, true);
      sessionExpires = new Date(session.expires);
      req.log[decision.mapping.strength === 'weak' ? 'warn' : 'info'](
        {
          username: decision.account.username,
          mapping: decision.mapping.kind,
          strength: decision.mapping.strength,
          serial: decision.certificate.serial,
          source: req.ip,
        },
        decision.mapping.strength === 'weak'
          ? 'smart card sign-in with a WEAK (UPN-only) mapping'
          : 'smart card sign-in',
      );
      if (decision.warnings?.length)
        req.log.warn(
          { username: decision.account.username, serial: decision.certificate.serial, warnings: decision.warnings },
          'smart card sign-in let through with warnings (revocation soft-fail)',
        );
    } else {
      const level = statusOf(decision.code) >= 500 ? 'error' : 'warn';
      req.log[level](
        { code: decision.code, detail: decision.detail, source: req.ip, fingerprint },
        'smart card sign-in refused',
      );
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
    if (!f) return reply.code(statusOf('NOT_FOUND')).type('text/plain').send('not found');
    return reply.type(f.type).header('cache-control', 'public, max-age=300').send(f.body);
  });
  app.setNotFoundHandler((_req, reply) =>
    reply
      .code(statusOf('NOT_FOUND'))
      .type('text/plain; charset=utf-8')
      .send(`${errorRegistry.NOT_FOUND.message} [NOT_FOUND]\n`),
  );
  app.setErrorHandler((err, req, reply) => {
    req.log.error({ err }, 'sign-in listener failed');
    return reply
      .code(statusOf('INTERNAL'))
      .type('text/plain; charset=utf-8')
      .send(`${errorRegistry.INTERNAL.message} [INTERNAL]\n`);
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
    if (code === 'EADDRINUSE')
      throw new TesseraError(
        'CONFIG_INVALID',
        `port ${o.port} on ${o.host} is already in use; choose another --signin-port`,
      );
    if (code === 'EACCES')
      throw new TesseraError('CONFIG_INVALID', `no permission to listen on port ${o.port}; use a port above 1023`);
    throw e;
  }
  const a = app.server.address();
  const port = typeof a === 'object' && a ? a.port : o.port;
  const shown = o.host === '0.0.0.0' || o.host === '::' ? 'localhost' : o.host;
  return { app, url: `https://${shown}:${port}`, close: () => app.close() };
}
