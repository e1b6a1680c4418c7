/**
 * /pki: what the CRL distribution point and AIA caIssuers URLs in our certificates point
 * to (Tessera.caUrls), fetched by relying parties over plain HTTP without credentials.
 *
 *   GET /pki/<ca>.crl    the newest full CRL      application/pkix-crl  (RFC 5280 §4.2.1.13)
 *   GET /pki/<ca>+.crl   the newest delta CRL     application/pkix-crl  (AD CS naming; §5.2.6 freshestCRL)
 *   GET /pki/<ca>.cer    the CA certificate, DER  application/pkix-cert (RFC 5280 §4.2.2.1, RFC 2585)
 *
 * Responses carry ETag and Last-Modified and answer conditional requests with 304
 * (RFC 9110 §13), and Cache-Control max-age never reaches past the CRL's nextUpdate, so
 * an HTTP cache never serves a CRL after it expired.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asTesseraError, TesseraError } from '../../../errors/TesseraError.js';
import { currentCrl, type CurrentCrl } from '../../../ra/currentCrl.js';
import type { Tessera } from '../../../Tessera.js';
import { statusOf } from '../problem.js';

/** Upper bound for max-age of a CRL response (an HTTP cache re-checks at least this often). */
const CRL_MAX_AGE_SECONDS = 900;
const CERT_MAX_AGE_SECONDS = 86_400;

const FILE = /^([a-z0-9][a-z0-9-]{0,31})(\+)?\.(crl|cer|crt)$/;

/** RFC 9110 §13.1.2 If-None-Match (weak comparison), §13.1.3 If-Modified-Since (only without If-None-Match). */
export function notModified(req: FastifyRequest, etag: string, lastModified: Date): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    const tags = String(inm)
      .split(',')
      .map((s) => s.trim().replace(/^W\//, ''));
    return tags.includes('*') || tags.includes(etag);
  }
  const ims = req.headers['if-modified-since'];
  if (ims === undefined) return false;
  const since = Date.parse(String(ims));
  return Number.isFinite(since) && Math.floor(lastModified.getTime() / 1000) * 1000 <= since;
}

function sendError(reply: FastifyReply, e: unknown): FastifyReply {
  const err = asTesseraError(e);
  const status = statusOf(err.code);
  if (status >= 500) reply.log.error({ code: err.code, detail: err.detail }, 'pki request failed');
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('text/plain; charset=utf-8')
    .send(`${err.message} [${err.code}]\n`);
}

const notFound = (reply: FastifyReply) => sendError(reply, new TesseraError('NOT_FOUND'));

export default async function pkiRoutes(app: FastifyInstance, opts: { tessera: Tessera }): Promise<void> {
  const t = opts.tessera;
  const certEtags = new Map<string, string>();

  app.get('/pki/:file', async (req, reply) => {
    const m = FILE.exec((req.params as { file: string }).file);
    if (!m || (m[2] && m[3] !== 'crl')) return notFound(reply);
    const caId = m[1];
    if (m[3] !== 'crl') {
      const ca = t.cas.find((c) => c.id === caId && c.active);
      if (!ca) return notFound(reply);
      let etag = certEtags.get(caId);
      if (!etag) {
        etag = `"${createHash('sha256').update(ca.certificate).digest('base64url').slice(0, 27)}"`;
        certEtags.set(caId, etag);
      }
      reply.header('etag', etag).header('cache-control', `public, max-age=${CERT_MAX_AGE_SECONDS}`);
      if (notModified(req, etag, new Date(0))) return reply.code(304).send();
      return reply.type('application/pkix-cert').send(ca.certificate);
    }
    let crl: CurrentCrl;
    try {
      crl = await currentCrl(t, caId, m[2] ? 'delta' : 'full');
    } catch (e) {
      return sendError(reply, e);
    }
    const now = t.now().getTime();
    const maxAge = Math.max(0, Math.min(CRL_MAX_AGE_SECONDS, Math.floor((crl.nextUpdate.getTime() - now) / 1000)));
    reply
      .header('etag', crl.etag)
      .header('last-modified', crl.thisUpdate.toUTCString())
      .header('expires', crl.nextUpdate.toUTCString())
      .header('cache-control', `public, max-age=${maxAge}, no-transform`);
    if (notModified(req, crl.etag, crl.thisUpdate)) return reply.code(304).send();
    return reply.type('application/pkix-crl').send(crl.der);
  });
}
