/**
 * `tessera serve`: the HTTPS listener and the plain-HTTP listener, with recovery of
 * interrupted issuances at start and a graceful shutdown (stop accepting, finish
 * in-flight requests, close the database) on SIGTERM / SIGINT.
 */
import type { FastifyInstance } from 'fastify';
import { TesseraError } from '../../errors/TesseraError.js';
import { readTlsIdentity } from '../../keys/serviceKeys.js';
import { sessionKey } from '../../keys/sessionKey.js';
import { recoverInterrupted } from '../../ra/recoverInterrupted.js';
import type { Tessera } from '../../Tessera.js';
import { buildApp, loggerOptions, type Limits } from './buildApp.js';
import { buildPublicApp } from './buildPublicApp.js';
import { Metrics } from './metrics.js';
import { revocationService } from '../../ra/revocationJobs.js';
import { startSigninServer, type SigninServer } from './signin/signinServer.js';
import pino from 'pino';

/** The revocation service logs through pino like the servers (same redaction). */
function revocationLog() {
  const log = pino(loggerOptions() as pino.LoggerOptions).child({ component: 'revocation' });
  return {
    info: (o: object, m: string) => log.info(o, m),
    warn: (o: object, m: string) => log.warn(o, m),
    error: (o: object, m: string) => log.error(o, m),
  };
}

export interface ServeOptions {
  readonly host?: string;
  readonly port?: number;
  /** Plain-HTTP port for /pki, /ocsp and redirects; 0 turns it off. */
  readonly httpPort?: number;
  readonly logger?: boolean;
  readonly limits?: Limits;
  readonly requestClientCertificates?: boolean;
  /** Install SIGTERM/SIGINT handlers (the CLI does; tests don't). */
  readonly handleSignals?: boolean;
  /** Close the Tessera instance when the server closes (default true). */
  readonly closeTessera?: boolean;
  /** The smart card sign-in (mTLS) listener's port (default: tessera.json signin.port); 0 or absent: off. */
  readonly signinPort?: number;
}

export interface RunningServer {
  readonly https: FastifyInstance;
  readonly http: FastifyInstance | undefined;
  readonly httpsUrl: string;
  readonly httpUrl: string | undefined;
  /** The smart card sign-in listener, when it runs (docs/signin.md). */
  readonly signin: SigninServer | undefined;
  close(): Promise<void>;
}

export async function startServer(t: Tessera, o: ServeOptions = {}): Promise<RunningServer> {
  let key: Buffer;
  let cert: Buffer;
  try {
    ({ key, cert } = await readTlsIdentity(t.paths));
  } catch {
    throw new TesseraError(
      'CONFIG_INVALID',
      `no TLS certificate at ${t.paths.tlsCert}; run \`tessera init\` ` +
        '(it issues one) or place a PEM certificate and key there',
    );
  }
  // A crash may have left requests half-issued: record them as failed. On PostgreSQL other
  // nodes may be mid-issuance, so only old ones are touched.
  await recoverInterrupted(t, t.store.dialect === 'sqlite' ? 0 : 120_000);
  const logger = o.logger === false ? false : loggerOptions();
  // CRLs on schedule and after revocations, the OCSP signing certificate and cache.
  const revocation = revocationService(t, { log: o.logger === false ? undefined : revocationLog() });
  await revocation.start();
  const metrics = new Metrics();
  const sessions = await sessionKey(t.paths);
  const signinPort = o.signinPort ?? t.config.signin?.port ?? 0;
  // The pages link to "Test my smart card" on the sign-in listener, under the site's host name
  // (the session cookie it sets is then valid for /certsrv too).
  const signinUrl = signinPort > 0 ? `https://${new URL(t.config.siteUrl).hostname}:${signinPort}/signin` : undefined;
  const https = await buildApp({
    tessera: t,
    sessionKey: sessions,
    https: { key, cert, requestClientCertificates: o.requestClientCertificates },
    logger,
    limits: o.limits,
    metrics,
    signinUrl,
  });
  const host = o.host ?? t.config.server.host;
  const port = o.port ?? t.config.server.port;
  const httpPort = o.httpPort ?? t.config.server.httpPort;
  await listen(https, host, port);
  let http: FastifyInstance | undefined;
  if (httpPort > 0) {
    http = await buildPublicApp({ tessera: t, logger });
    await listen(http, host, httpPort);
  }
  // Smart card sign-in on its own mTLS listener, sharing the session key with /certsrv.
  let signin: SigninServer | undefined;
  try {
    if (signinPort > 0)
      signin = await startSigninServer({
        tessera: t,
        sessionKey: sessions,
        host: t.config.signin?.host ?? host,
        port: signinPort,
        logger,
      });
  } catch (e) {
    await Promise.all([https.close(), http?.close()]);
    await revocation.stop();
    throw e;
  }
  const addr = (app: FastifyInstance) => {
    const a = app.server.address();
    return typeof a === 'object' && a ? a.port : port;
  };
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Fastify's close stops accepting, answers new requests 503, and waits for in-flight ones.
      await Promise.all([https.close(), http?.close(), signin?.close()]);
      await revocation.stop();
      if (o.closeTessera !== false) await t.close();
    })());
  if (o.handleSignals) {
    const onSignal = (sig: string) => {
      https.log.info({ signal: sig }, 'shutting down');
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  }
  return {
    https,
    http,
    httpsUrl: `https://${shown}:${addr(https)}`,
    httpUrl: http ? `http://${shown}:${addr(http)}` : undefined,
    signin,
    close,
  };
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<void> {
  try {
    await app.listen({ host, port });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new TesseraError(
        'CONFIG_INVALID',
        `port ${port} on ${host} is already in use; stop the other ` +
          'server or choose another port (--port / --http-port)',
      );
    if (code === 'EACCES')
      throw new TesseraError(
        'CONFIG_INVALID',
        `no permission to listen on port ${port}; use a port above 1023 or run with the needed privilege`,
      );
    throw e;
  }
}
