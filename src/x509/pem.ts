/**
 * PEM and base64 in the shapes certsrv clients send and expect
 * (docs/certsrv.md §2 CertRequest, §4 Enc=b64).
 */
import { TesseraError } from '../errors/TesseraError.js';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 #]+)-----([\s\S]*?)-----END \1-----/;

/**
 * Bytes of a request as a client sent it: DER, PEM with any BEGIN label (`NEW
 * CERTIFICATE REQUEST`, `CERTIFICATE REQUEST`, `PKCS7`, ...), PEM flattened onto one
 * line, or headerless base64 with CRLF, LF or spaces (form encoding turns `+` into a
 * space, so spaces inside base64 are read back as `+`).
 */
export function decodeRequestBytes(input: Uint8Array | string): Buffer {
  if (typeof input !== 'string') {
    const b = Buffer.from(input);
    if (b.length === 0) throw new TesseraError('REQUEST_EMPTY');
    if (b[0] === 0x30) return capped(b); // DER SEQUENCE
    if (b.length > MAX_REQUEST_TEXT) throw new TesseraError('REQUEST_TOO_LARGE', `${b.length} bytes of text`);
    return decodeRequestBytes(b.toString('latin1'));
  }
  // Bound the work before any parsing (docs/security.md §6.5, §7.1: the
  // parser has its own limit, not only the HTTP body limit).
  if (input.length > MAX_REQUEST_TEXT)
    throw new TesseraError('REQUEST_TOO_LARGE', `${input.length} characters of text`);
  let text = input.trim();
  if (text.length === 0) throw new TesseraError('REQUEST_EMPTY');
  const m = PEM_BLOCK.exec(text);
  // The block's own surrounding whitespace is not base64 (a PEM flattened onto one line
  // keeps a space after BEGIN and before END); spaces inside are form-encoded "+".
  if (m) text = m[2].trim();
  else if (/-----BEGIN /.test(text))
    throw new TesseraError('REQUEST_MALFORMED', 'PEM block without a matching END line');
  // Drop RFC 7468 / RFC 1421 headers such as "Proc-Type: ..." if present.
  text = text.replace(/^[A-Za-z-]+:.*$/gm, '');
  const compact = text.replace(/[\r\n\t]/g, '').replace(/ /g, '+');
  if (compact.length === 0) throw new TesseraError('REQUEST_EMPTY', 'an empty PEM block');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
    throw new TesseraError('REQUEST_MALFORMED', 'the request is neither DER nor base64');
  }
  const der = Buffer.from(compact, 'base64');
  if (der.length === 0) throw new TesseraError('REQUEST_EMPTY');
  return capped(der);
}

/**
 * The largest request accepted, as DER and as text. A PKCS#10 is a few KB and a CMC
 * request with an agent's chain some tens of KB; the HTTP entries cap bodies at 64 KB.
 */
export const MAX_REQUEST_DER = 64 * 1024;
export const MAX_REQUEST_TEXT = 128 * 1024;

function capped(der: Buffer): Buffer {
  if (der.length > MAX_REQUEST_DER)
    throw new TesseraError('REQUEST_TOO_LARGE', `${der.length} bytes of DER (at most ${MAX_REQUEST_DER})`);
  return der;
}

/** base64 in 64-character lines joined by `eol`. */
export function base64Lines(der: Uint8Array, eol = '\n'): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return lines.join(eol) + eol;
}

export function toPem(der: Uint8Array, label: string, eol = '\n'): string {
  return `-----BEGIN ${label}-----${eol}${base64Lines(der, eol)}-----END ${label}-----${eol}`;
}

/** All PEM blocks with `label` in a text (e.g. a chain file), as DER. */
export function pemBlocks(text: string, label: string): Buffer[] {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  return [...text.matchAll(re)].map((m) => Buffer.from(m[1].replace(/\s+/g, ''), 'base64'));
}
