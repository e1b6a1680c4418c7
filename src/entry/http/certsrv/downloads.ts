/**
 * certnew.cer, certnew.p7b and certcrl.crl (docs/certsrv.md §4, §5 items 7–9, 13):
 * - exact Content-Types without parameters: application/pkix-cert,
 *   application/x-pkcs7-certificates, application/pkix-crl (magnuswatn compares the whole header);
 * - `Enc=bin` gives DER; any other value or none gives base64 in 64-character CRLF lines
 *   under a `-----BEGIN CERTIFICATE-----` header — also for a PKCS#7 or a CRL, as CryptoAPI's
 *   CR_OUT_BASE64HEADER does and clients expect;
 * - a request that is not issued answers the HTML error page whose `Disposition message:`
 *   item says "Taken Under Submission", "Denied by Policy Module …" or "The requested
 *   property value is empty".
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../../../errors/registry.js';
import { asTesseraError } from '../../../errors/TesseraError.js';
import { currentCrl } from '../../../ra/currentCrl.js';
import { retrieveIfVisible } from '../../../ra/retrieve.js';
import { certsOnlyPkcs7 } from '../../../x509/certsOnlyPkcs7.js';
import { toPem } from '../../../x509/pem.js';
import { requirePrincipal } from '../api/ApiContext.js';
import { sendPage, type CertsrvContext } from './CertsrvContext.js';
import { certsrvDispositionMessage } from './dispositionMessage.js';
import { pendingEntries, setRequestsCookie } from './certfnsh.js';
import type { Params } from './params.js';
import { errorPage } from './pages/results.js';

function encode(der: Buffer, p: Params): Buffer | string {
  return (p.get('enc') ?? '').toLowerCase() === 'bin' ? der : toPem(der, 'CERTIFICATE', '\r\n');
}

function notAvailable(
  ctx: CertsrvContext,
  req: FastifyRequest,
  reply: FastifyReply,
  id: number | undefined,
  message: string,
  code: ErrorCode,
): FastifyReply {
  return sendPage(
    ctx,
    req,
    reply,
    errorPage({
      mode: 'retrieve',
      requestId: id,
      dispositionMessage: message,
      code,
      intro: 'The certificate you asked for is not available.',
    }),
  );
}

/** `ReqID=CACert` with `Renewal=<n>`: only the current CA certificate (renewal 0) exists. */
function caRenewalOk(p: Params): boolean {
  const r = p.get('renewal');
  return r === undefined || r === '' || r === '0';
}

export async function certnew(
  ctx: CertsrvContext,
  req: FastifyRequest,
  reply: FastifyReply,
  p: Params,
  kind: 'cer' | 'p7b',
): Promise<FastifyReply> {
  const t = ctx.tessera;
  const reqId = p.get('reqid') ?? '';
  const type = kind === 'cer' ? 'application/pkix-cert' : 'application/x-pkcs7-certificates';
  if (reqId.toLowerCase() === 'cacert') {
    if (!caRenewalOk(p))
      return notAvailable(ctx, req, reply, undefined, 'The requested property value is empty.', 'NOT_FOUND');
    const chain = t.chain();
    const der = kind === 'cer' ? chain[0] : certsOnlyPkcs7(chain);
    return reply.type(type).header('cache-control', 'no-store').send(encode(der, p));
  }
  if (!/^\d{1,15}$/.test(reqId))
    return notAvailable(ctx, req, reply, undefined, 'The requested property value is empty.', 'REQUEST_NOT_FOUND');
  const id = Number(reqId);
  const principal = requirePrincipal(req);
  const found = await retrieveIfVisible(t, principal.actor, id);
  if (!found) return notAvailable(ctx, req, reply, id, 'The requested property value is empty.', 'REQUEST_NOT_FOUND');
  const { request, certificate } = found;
  if (request.disposition === 'pending' || request.disposition === 'issuing')
    return notAvailable(ctx, req, reply, id, 'Taken Under Submission', 'REQUEST_NOT_PENDING');
  if (!certificate?.der) {
    const code = (request.code ?? 'INTERNAL') as ErrorCode;
    return notAvailable(ctx, req, reply, id, certsrvDispositionMessage(code, request.message), code);
  }
  // The browser no longer needs to remember an issued request (certnew.cer did the same).
  const entries = pendingEntries(req);
  if (entries.some((e) => e.id === id))
    setRequestsCookie(
      reply,
      entries.filter((e) => e.id !== id),
    );
  const der = kind === 'cer' ? certificate.der : certsOnlyPkcs7([certificate.der, ...t.chain()]);
  return reply.type(type).header('cache-control', 'no-store').send(encode(der, p));
}

export async function certcrl(
  ctx: CertsrvContext,
  req: FastifyRequest,
  reply: FastifyReply,
  p: Params,
): Promise<FastifyReply> {
  const t = ctx.tessera;
  const delta = (p.get('type') ?? 'base').toLowerCase() === 'delta';
  if (!caRenewalOk(p))
    return notAvailable(ctx, req, reply, undefined, 'The requested property value is empty.', 'NOT_FOUND');
  try {
    const crl = await currentCrl(t, t.config.issuingCa, delta ? 'delta' : 'full');
    return reply.type('application/pkix-crl').header('cache-control', 'no-store').send(encode(crl.der, p));
  } catch (e) {
    const err = asTesseraError(e);
    return notAvailable(
      ctx,
      req,
      reply,
      undefined,
      `No ${delta ? 'delta' : 'base'} CRL has been published yet.`,
      err.code,
    );
  }
}
