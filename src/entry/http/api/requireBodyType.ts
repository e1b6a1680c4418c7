/**
 * The REST API's bodies are JSON, and the one binary door (`POST /requests/raw`) takes the
 * request types it documents. Anything else — above all what an HTML form can send
 * without a CORS preflight (`application/x-www-form-urlencoded`, `multipart/form-data`,
 * `text/plain`; Fetch "CORS-safelisted request-header") — is refused with
 * UNSUPPORTED_MEDIA_TYPE before the body is read, so a cross-site form can never reach a
 * route, whatever credentials the browser adds; another site sending JSON must first pass
 * a CORS preflight, which this API never grants. A second line behind the cross-site
 * check (auth/crossSiteGuard.ts), for browsers that send no Fetch Metadata or Origin. A
 * request without a body needs no Content-Type (approve, release, DELETE).
 */
import type { FastifyRequest } from 'fastify';
import { TesseraError } from '../../../errors/TesseraError.js';

export const JSON_BODY: readonly string[] = ['application/json'];

/** POST /requests/raw: PKCS#10 DER (RFC 5967), CMC (RFC 5273 §3), or PEM / base64 text. */
export const RAW_REQUEST_BODY: readonly string[] = [
  'application/pkcs10',
  'application/pkcs7-mime',
  'application/x-pem-file',
];

/** Route option: `{ config: { bodyTypes: [...] } }`; routes without it take JSON. */
export interface BodyTypesConfig {
  readonly bodyTypes?: readonly string[];
}

/** The media type without parameters, lower case (RFC 9110 §8.3.1: case-insensitive). */
function mediaType(contentType: string): string {
  return contentType.split(';')[0].trim().toLowerCase();
}

function hasBody(req: FastifyRequest): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Throws UNSUPPORTED_MEDIA_TYPE unless the body is absent or of one of `accepted`. */
export function requireBodyType(req: FastifyRequest, accepted: readonly string[] = JSON_BODY): void {
  const declared = req.headers['content-type'];
  if (declared === undefined) {
    if (hasBody(req))
      throw new TesseraError('UNSUPPORTED_MEDIA_TYPE', `a body without Content-Type; send ${accepted.join(', ')}`);
    return;
  }
  const type = mediaType(declared);
  if (!accepted.includes(type))
    throw new TesseraError(
      'UNSUPPORTED_MEDIA_TYPE',
      `${req.method} ${req.url.split('?')[0]} accepts ${accepted.join(', ')}, ` +
        `not ${type.slice(0, 100) || 'an empty Content-Type'}`,
    );
}
