/**
 * certfnsh.asp: the request processor (docs/certsrv.md §2–§3). `Mode=newreq`
 * submits a new PKCS#10 / CMC / PKCS#7 request; `Mode=chkpnd` checks a pending one.
 * The answer is a result page, HTTP 200 whatever the disposition.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { cardAgentUrl } from '../../../config/webSettings.js';
import type { ErrorCode } from '../../../errors/registry.js';
import { TesseraError } from '../../../errors/TesseraError.js';
import { fullResponse } from '../../../ra/fullResponse.js';
import { retrieveIfVisible } from '../../../ra/retrieve.js';
import { submit } from '../../../ra/submit.js';
import { requirePrincipal } from '../api/ApiContext.js';
import { sendPage, type CertsrvContext } from './CertsrvContext.js';
import type { Page } from './Layout.js';
import { certsrvDispositionMessage } from './dispositionMessage.js';
import type { Params } from './params.js';
import { deniedPage, errorPage, issuedPage, pendingPage } from './pages/results.js';
import {
  formatRequestsCookie,
  parseRequestsCookie,
  PENDING_TIMEOUT_DAYS,
  REQUESTS_COOKIE,
  type PendingEntry,
} from './requestsCookie.js';

const THUMBPRINT = /^[A-Za-z0-9:_-]{0,200}$/;

export function setRequestsCookie(reply: FastifyReply, entries: readonly PendingEntry[]): void {
  reply.setCookie(REQUESTS_COOKIE, formatRequestsCookie(entries), {
    path: '/certsrv',
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    expires: new Date(Date.now() + PENDING_TIMEOUT_DAYS * 86_400_000),
  });
}

export function pendingEntries(req: FastifyRequest): PendingEntry[] {
  return parseRequestsCookie((req.cookies as Record<string, string | undefined>)[REQUESTS_COOKIE]);
}

/** CertAttrib, or — from our own paste form without JavaScript — the template list and attribute box. */
function attributesOf(p: Params): string | undefined {
  const attrib = p.get('certattrib');
  if (attrib !== undefined) return attrib;
  const listed = p.get('lbcerttemplate');
  if (!listed) return undefined;
  const name = listed.includes(';') ? listed.split(';')[1] : listed;
  return `CertificateTemplate:${name}\r\n${(p.get('taattrib') ?? '').replace(/\r?\n/g, '\r\n')}`;
}

export async function certfnsh(
  ctx: CertsrvContext,
  req: FastifyRequest,
  reply: FastifyReply,
  p: Params,
): Promise<FastifyReply> {
  const mode = (p.get('mode') ?? '').trim();
  if (mode === 'newreq') return newRequest(ctx, req, reply, p);
  if (mode === 'chkpnd') return checkPending(ctx, req, reply, p);
  if (/^newreq\s+NN$/i.test(mode)) {
    return sendPage(
      ctx,
      req,
      reply,
      errorPage({
        mode,
        dispositionMessage: 'Netscape <keygen> (SPKAC) requests are not supported; use the advanced request page.',
        code: 'REQUEST_FORMAT_UNSUPPORTED',
      }),
    );
  }
  return sendPage(
    ctx,
    req,
    reply,
    errorPage({ mode, dispositionMessage: 'No request mode was given.', code: 'INPUT_INVALID' }),
  );
}

type Step = (ctx: CertsrvContext, req: FastifyRequest, reply: FastifyReply, p: Params) => Promise<FastifyReply>;

/** What both modes start from: the signed-in principal, the CA, and a page sender for this exchange. */
function begin(ctx: CertsrvContext, req: FastifyRequest, reply: FastifyReply) {
  return {
    principal: requirePrincipal(req),
    t: ctx.tessera,
    send: (page: Page) => sendPage(ctx, req, reply, page),
  };
}

const newRequest: Step = async (ctx, req, reply, p) => {
  const { principal, t, send } = begin(ctx, req, reply);
  const saveCert = (p.get('savecert') ?? 'yes').toLowerCase() === 'no' ? 'no' : 'yes';
  const thumbprint = p.get('thumbprint') ?? '';
  if (!THUMBPRINT.test(thumbprint)) throw new TesseraError('INPUT_INVALID', 'ThumbPrint is not a key handle');
  const targetStoreFlags = Number(p.get('targetstoreflags') ?? 0) >>> 0;
  const friendlyType = (p.get('friendlytype') ?? '').slice(0, 200);
  const r = await submit(t, {
    request: p.get('certrequest') ?? '',
    attributes: attributesOf(p),
    requester: principal.actor.user,
    source: req.ip,
  });
  if (r.disposition === 'issued') {
    // SaveCert=no is AD CS's install flow, which hands the page the CMC full response.
    const response = saveCert === 'no' ? await fullResponse(t, r) : undefined;
    return send(
      issuedPage({
        requestId: r.requestId,
        thumbprint,
        install: saveCert === 'no',
        certificate: r.certificate!,
        chain: t.chain(),
        friendlyType,
        templateName: r.template,
        keyLocation: thumbprint.startsWith('card:') ? 'card' : 'browser',
        agentUrl: cardAgentUrl(t.config),
        fullResponse: response,
        onBehalfOf:
          r.subjectUser && r.subjectUser.toLowerCase() !== principal.actor.user.username.toLowerCase()
            ? r.subjectUser
            : null,
      }),
    );
  }
  if (r.disposition === 'pending') {
    const entries = pendingEntries(req).filter((e) => e.id !== r.requestId);
    setRequestsCookie(reply, [...entries, { id: r.requestId, targetStoreFlags, saveCert, friendlyType }]);
    return send(pendingPage({ requestId: r.requestId, thumbprint, stillPending: false }));
  }
  const code = (r.code ?? 'INTERNAL') as ErrorCode;
  if (r.disposition === 'denied')
    return send(
      deniedPage({ requestId: r.requestId, message: certsrvDispositionMessage(code, r.message), thumbprint }),
    );
  return send(errorPage({ mode: 'newreq', requestId: r.requestId, dispositionMessage: r.message, code, thumbprint }));
};

const checkPending: Step = async (ctx, req, reply, p) => {
  const { principal, t, send } = begin(ctx, req, reply);
  const idText = p.get('reqid') ?? '';
  const notFound = (requestId?: number) =>
    send(
      errorPage({
        mode: 'chkpnd',
        requestId,
        dispositionMessage: 'The requested property value is empty.',
        code: 'REQUEST_NOT_FOUND',
      }),
    );
  if (!/^\d{1,15}$/.test(idText)) return notFound();
  const id = Number(idText);
  const entry = pendingEntries(req).find((e) => e.id === id);
  const found = await retrieveIfVisible(t, principal.actor, id);
  if (!found) return notFound(id);
  const { request, certificate } = found;
  if (request.disposition === 'pending' || request.disposition === 'issuing') {
    return send(pendingPage({ requestId: id, thumbprint: '', stillPending: true }));
  }
  if ((request.disposition === 'issued' || request.disposition === 'revoked') && certificate?.der) {
    if (request.disposition === 'revoked')
      return send(deniedPage({ requestId: id, message: request.message, revoked: true }));
    const saveCert = (p.get('savecert') ?? entry?.saveCert ?? 'yes').toLowerCase() === 'no';
    return send(
      issuedPage({
        requestId: id,
        thumbprint: '',
        install: saveCert,
        certificate: certificate.der,
        chain: t.chain(),
        friendlyType: entry?.friendlyType ?? '',
        templateName: request.template,
        keyLocation: 'unknown',
        agentUrl: cardAgentUrl(t.config),
      }),
    );
  }
  // Denied or failed: the answer is final, so the browser forgets the request.
  setRequestsCookie(
    reply,
    pendingEntries(req).filter((e) => e.id !== id),
  );
  if (request.disposition === 'denied')
    return send(deniedPage({ requestId: id, message: certsrvDispositionMessage(request.code, request.message) }));
  return send(
    errorPage({
      mode: 'chkpnd',
      requestId: id,
      dispositionMessage: request.message,
      code: (request.code ?? 'INTERNAL') as ErrorCode,
    }),
  );
};
