/**
 * The OCSP responder over HTTP (RFC 6960 Appendix A, RFC 5019 §5–6), at the AIA OCSP
 * URL of our certificates (`${publicUrl}/ocsp`, Tessera.caUrls):
 *
 *   POST /ocsp                 body: DER OCSPRequest (application/ocsp-request)
 *   GET  /ocsp/{base64 DER}    URL-encoded standard base64, or base64url (RFC 4648 §5)
 *
 * Every answer is an OCSPResponse (application/ocsp-response) with HTTP 200, including
 * the RFC's error statuses: malformedRequest for a body that is not an OCSP request,
 * is larger than MAX_REQUEST_BYTES or is nested too deeply; unauthorized for another
 * CA. This plugin's scope has its own body parser and error handler, so nothing a
 * client sends reaches a generic error page or crashes the server.
 *
 * GET answers carry RFC 5019 §6.2 caching headers (ETag, Last-Modified, Expires,
 * Cache-Control with max-age bounded by nextUpdate and by the configured HTTP max-age,
 * default 0 so a revocation is never hidden by an HTTP cache).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ocspErrorResponse } from '../../../x509/ocsp.js';
import type { OcspAnswer } from '../../../ca/ocsp/OcspResponder.js';
import { ocspResponderFor } from '../../../ra/ocspResponderFor.js';
import type { Tessera } from '../../../Tessera.js';

/** Larger request bodies are refused with malformedRequest (100 CertIDs and a nonce fit in 10 KB). */
export const MAX_REQUEST_BYTES = 64 * 1024;

const OCSP_RESPONSE = 'application/ocsp-response';
const MALFORMED = ocspErrorResponse('malformedRequest');
const INTERNAL_ERROR = ocspErrorResponse('internalError');
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

export interface OcspRoutesOptions {
  readonly tessera: Tessera;
  /** Upper bound for Cache-Control max-age on GET answers (default 0: always revalidate). */
  readonly httpMaxAgeSeconds?: number;
}

export default async function ocspRoutes(app: FastifyInstance, opts: OcspRoutesOptions): Promise<void> {
  const t = opts.tessera;
  const responder = ocspResponderFor(t);
  const httpMaxAge = opts.httpMaxAgeSeconds ?? 0;

  // Whatever the Content-Type (RFC 6960 says application/ocsp-request; some clients send
  // none or another), the body is read as bytes, up to the cap.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_REQUEST_BYTES }, (_req, body, done) =>
    done(null, body),
  );

  // Oversized or broken bodies end here (Fastify's 413 / 400 errors): answer in the
  // protocol, not with an HTML or JSON error page. Anything else is our fault: internalError.
  app.setErrorHandler((err, req, reply) => {
    const status = (err as { statusCode?: number }).statusCode;
    const clientError = status !== undefined && status >= 400 && status < 500;
    if (!clientError) req.log.error({ err }, 'ocsp request failed');
    return reply
      .code(200)
      .header('content-type', OCSP_RESPONSE)
      .header('cache-control', 'no-store')
      .send(clientError ? MALFORMED : INTERNAL_ERROR);
  });

  const send = (reply: FastifyReply, a: OcspAnswer) =>
    reply.code(200).header('content-type', OCSP_RESPONSE).send(a.der);

  app.post('/ocsp', async (req, reply) => {
    const body = req.body;
    if (!Buffer.isBuffer(body) || body.length === 0) return send(reply, { der: MALFORMED, status: 'malformedRequest' });
    return send(reply, await responder.respond(body));
  });

  const get = async (req: FastifyRequest, reply: FastifyReply) => {
    const der = decodeGetPath(req.url);
    if (!der) return send(reply.header('cache-control', 'no-store'), { der: MALFORMED, status: 'malformedRequest' });
    const a = await responder.respond(der);
    // Errors and nonce answers are never cached (a nonce answer belongs to one request).
    if (!a.cache) return send(reply.header('cache-control', 'no-store'), a);
    const now = t.now().getTime();
    const maxAge = Math.max(0, Math.min(httpMaxAge, Math.floor((a.cache.nextUpdate.getTime() - now) / 1000)));
    reply
      .header('etag', a.cache.etag)
      .header('last-modified', a.cache.producedAt.toUTCString())
      .header('expires', a.cache.nextUpdate.toUTCString())
      .header('cache-control', `public, max-age=${maxAge}, no-transform, must-revalidate`);
    const inm = req.headers['if-none-match'];
    if (
      inm !== undefined &&
      String(inm)
        .split(',')
        .some((s) => s.trim().replace(/^W\//, '') === a.cache!.etag)
    )
      return reply.code(304).send();
    return send(reply, a);
  };
  app.get('/ocsp', get);
  app.get('/ocsp/*', get);
}

/** The DER request from `/ocsp/<url-encoded base64>` (RFC 6960 Appendix A.1), or undefined. */
export function decodeGetPath(url: string): Buffer | undefined {
  const q = url.indexOf('?');
  const path = q >= 0 ? url.slice(0, q) : url;
  const i = path.indexOf('/ocsp/');
  if (i < 0) return undefined;
  let b64: string;
  try {
    b64 = decodeURIComponent(path.slice(i + 6));
  } catch {
    return undefined;
  }
  b64 = b64.replace(/\s+/g, '');
  if (!b64 || b64.length > 4 * MAX_REQUEST_BYTES || !BASE64.test(b64)) return undefined;
  const der = Buffer.from(b64, b64.includes('-') || b64.includes('_') ? 'base64url' : 'base64');
  return der.length ? der : undefined;
}
