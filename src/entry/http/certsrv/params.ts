/**
 * certsrv parameters: ASP query and form names are case-insensitive (nokia adcs-issuer
 * sends `ENC=b64`), and certfnsh.asp accepts a form body on GET too (bgstack certreq.sh
 * posts with `curl -XGET --data`). Unknown fields are ignored (docs/certsrv.md §2).
 */
import type { FastifyRequest } from 'fastify';
import { TesseraError } from '../../../errors/TesseraError.js';

export type Params = ReadonlyMap<string, string>;

function add(into: Map<string, string>, source: unknown): void {
  if (!source || typeof source !== 'object') return;
  for (const [k, v] of Object.entries(source as Record<string, unknown>)) {
    const value = Array.isArray(v) ? v[0] : v;
    if (typeof value === 'string' && !into.has(k.toLowerCase())) into.set(k.toLowerCase(), value);
  }
}

/** Body fields first (they carry the request), then the query string. */
export function params(req: FastifyRequest, getBody?: Record<string, string>): Params {
  const m = new Map<string, string>();
  add(m, req.body);
  add(m, getBody);
  add(m, req.query);
  return m;
}

export const MAX_FORM = 64 * 1024;

/** The urlencoded body of a GET request, which Fastify does not parse. */
export async function readGetBody(req: FastifyRequest): Promise<Record<string, string> | undefined> {
  const type = String(req.headers['content-type'] ?? '');
  if (req.method !== 'GET' || !type.startsWith('application/x-www-form-urlencoded')) return undefined;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_FORM) throw new TesseraError('REQUEST_TOO_LARGE', `form body of ${declared} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req.raw) {
    size += (c as Buffer).length;
    if (size > MAX_FORM) throw new TesseraError('REQUEST_TOO_LARGE', 'form body over 64 KB');
    chunks.push(c as Buffer);
  }
  if (!size) return undefined;
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}
