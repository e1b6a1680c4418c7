/**
 * /api/v1/requests — submit (AD CS ICertRequest::Submit), look up, approve, deny.
 */
import type { FastifyInstance } from 'fastify';
import { TesseraError } from '../../../errors/TesseraError.js';
import { listRequests } from '../../../ra/listRequests.js';
import { retrieve } from '../../../ra/retrieve.js';
import { denyRequest } from '../../../ra/denyRequest.js';
import { resubmit } from '../../../ra/resubmit.js';
import { submit } from '../../../ra/submit.js';
import type { SubmitResult } from '../../../ra/recordDecision.js';
import type { RequestOutcome } from '../../../ca/buildCmcResponse.js';
import { fullResponse } from '../../../ra/fullResponse.js';
import { sendProblem } from '../problem.js';
import {
  checkEnrollRate,
  parseId,
  prefers,
  optionalReasonBody,
  reasonOf,
  requirePrincipal,
  type ApiContext,
} from './ApiContext.js';
import { RAW_REQUEST_BODY } from './requireBodyType.js';
import { requestView, submitView } from './views.js';

/** Enrollment bodies are capped before parsing (docs/security.md §6.5: 64 KiB). */
export const ENROLL_BODY_LIMIT = 64 * 1024;

const submitSchema = {
  body: {
    type: 'object',
    required: ['csr'],
    additionalProperties: false,
    properties: {
      csr: { type: 'string', minLength: 1, maxLength: ENROLL_BODY_LIMIT },
      template: { type: 'string', minLength: 1, maxLength: 64 },
      attributes: { type: 'object', additionalProperties: { type: 'string', maxLength: 1024 }, maxProperties: 32 },
    },
  },
} as const;

export async function requestRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const t = ctx.tessera;

  /**
   * RFC 5273 §3: a CMC client asking for application/pkcs7-mime gets the full PKI response
   * (PKIResponse signed by the CA, status for the request's bodyPartID, certificate and
   * chain) with 200 whatever the status inside.
   */
  const cmcAnswer = async (reply: import('fastify').FastifyReply, outcome: RequestOutcome) =>
    reply
      .code(200)
      .type('application/pkcs7-mime; smime-type=CMC-response')
      .send(await fullResponse(t, outcome));

  const respond = async (
    reply: import('fastify').FastifyReply,
    req: import('fastify').FastifyRequest,
    r: SubmitResult,
  ) => {
    if (prefers(req, 'application/pkcs7-mime')) return cmcAnswer(reply, r);
    if (r.disposition === 'issued') {
      if (prefers(req, 'application/pkix-cert'))
        return reply.code(201).type('application/pkix-cert').send(r.certificate);
      return reply.code(201).header('location', `/api/v1/requests/${r.requestId}`).send(submitView(r, ctx.chainPem));
    }
    if (r.disposition === 'pending')
      return reply.code(202).header('location', `/api/v1/requests/${r.requestId}`).send(submitView(r, ctx.chainPem));
    const err = new TesseraError(r.code ?? 'INTERNAL', r.message);
    ctx.metrics?.recordError(err.code);
    // The disposition message (e.g. the unsupported template's name) is the detail shown.
    return sendProblem(reply, err, { requestId: r.requestId, disposition: r.disposition, detail: r.message });
  };

  app.post('/requests', { schema: submitSchema, bodyLimit: ENROLL_BODY_LIMIT }, async (req, reply) => {
    const p = requirePrincipal(req);
    checkEnrollRate(ctx, req, p);
    const body = req.body as { csr: string; template?: string; attributes?: Record<string, string> };
    const r = await submit(t, {
      request: body.csr,
      template: body.template,
      attributes: body.attributes,
      requester: p.actor.user,
      source: req.ip,
    });
    return respond(reply, req, r);
  });

  // The same with the request as the body (DER, or PEM/base64 text); template in the query.
  for (const type of RAW_REQUEST_BODY) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: ENROLL_BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    );
  }
  app.post(
    '/requests/raw',
    { bodyLimit: ENROLL_BODY_LIMIT, config: { bodyTypes: RAW_REQUEST_BODY } },
    async (req, reply) => {
      const p = requirePrincipal(req);
      checkEnrollRate(ctx, req, p);
      if (!Buffer.isBuffer(req.body))
        throw new TesseraError(
          'INPUT_INVALID',
          'send the request as application/pkcs10, application/pkcs7-mime or application/x-pem-file',
        );
      const q = req.query as { template?: string };
      const r = await submit(t, { request: req.body, template: q.template, requester: p.actor.user, source: req.ip });
      return respond(reply, req, r);
    },
  );

  app.get('/requests', async (req) => {
    const p = requirePrincipal(req);
    const q = req.query as { disposition?: string; limit?: string; before?: string };
    const limit = Math.min(Math.max(Number(q.limit ?? 100) || 100, 1), 1000);
    const beforeId = q.before ? parseId(q.before) : undefined;
    const rows = await listRequests(t, p.actor, { disposition: q.disposition, limit, beforeId });
    return { requests: rows.map((r) => requestView(r, undefined, ctx.chainPem)) };
  });

  app.get('/requests/:id', async (req, reply) => {
    const p = requirePrincipal(req);
    const { request, certificate } = await retrieve(t, p.actor, parseId((req.params as { id: string }).id));
    if (prefers(req, 'application/pkcs7-mime')) {
      return cmcAnswer(reply, {
        requestId: request.id,
        disposition: request.disposition,
        code: request.code,
        message: request.message,
        certificate: certificate?.der ?? null,
      });
    }
    return requestView(request, certificate, ctx.chainPem);
  });

  app.post('/requests/:id/approve', async (req, reply) => {
    const p = requirePrincipal(req);
    const r = await resubmit(t, p.actor, parseId((req.params as { id: string }).id));
    if (r.disposition === 'issued') return reply.code(200).send(submitView(r, ctx.chainPem));
    const err = new TesseraError(r.code ?? 'INTERNAL', r.message);
    return sendProblem(reply, err, { requestId: r.requestId, disposition: r.disposition, detail: r.message });
  });

  app.post('/requests/:id/deny', optionalReasonBody(500), async (req) => {
    const p = requirePrincipal(req);
    const r = await denyRequest(t, p.actor, parseId((req.params as { id: string }).id), reasonOf(req));
    return { requestId: r.requestId, disposition: 'denied', message: r.message };
  });
}
