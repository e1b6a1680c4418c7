/**
 * Steps 5–9 of issuance (docs/issuance.md): for an issue decision, prepare and lint the
 * certificate (5), reserve the serial with the to-be-signed certificate *before* signing
 * (6), sign (7), release the certificate in the commit that marks the request issued (8),
 * then tell the exit modules (9). A deny or pend decision is stored and audited in one
 * commit (8) and announced (9). Group commit (Store.batch) lets concurrent requests
 * share each durable commit.
 */
import type { IssuanceProfile } from '../ca/IssuanceProfile.js';
import type { IssuedCertificate, PreparedCertificate } from '../ca/CertificateAuthority.js';
import { errorRegistry, type ErrorCode } from '../errors/registry.js';
import { TesseraError, asTesseraError } from '../errors/TesseraError.js';
import type { Decision } from '../policy/PolicyInput.js';
import type { NewRequest } from '../store/records.js';
import type { Tessera } from '../Tessera.js';
import { describeKey } from '../x509/publicKey.js';
import type { DecodedRequest } from '../x509/request.js';
import { actorName, type Actor } from './Actor.js';

export interface SubmitResult {
  readonly requestId: number;
  readonly disposition: 'issued' | 'pending' | 'denied' | 'failed';
  readonly code: ErrorCode | null;
  /** The disposition message (certsrv "The disposition message is ..."). */
  readonly message: string;
  readonly serial: string | null;
  readonly certificate: Buffer | null;
  readonly template: string | null;
  /** Audit notes: requester-supplied names or extensions that were ignored. */
  readonly notes: readonly string[];
  /** The directory account the request is for (the agent's target for enroll on behalf). */
  readonly subjectUser: string | null;
}

type RequestBase = Pick<
  NewRequest,
  'submittedAt' | 'requester' | 'requestSha256' | 'source' | 'subjectUser' | 'agent' | 'template' | 'attributes'
>;

/** The result of a request that was stored without a certificate: denied or pending. */
function withoutCertificate(
  requestId: number,
  disposition: 'denied' | 'pending',
  code: ErrorCode | null,
  message: string,
  r: Pick<SubmitResult, 'template' | 'notes' | 'subjectUser'>,
): SubmitResult {
  return {
    requestId,
    disposition,
    code,
    message,
    serial: null,
    certificate: null,
    template: r.template,
    notes: r.notes,
    subjectUser: r.subjectUser,
  };
}

/** The public disposition message for a denial; the template name is the requester's own input. */
export function denialMessage(code: ErrorCode, detail: string | undefined): string {
  const m = errorRegistry[code].message;
  return code === 'TEMPLATE_UNKNOWN' && detail ? m.replace(/\.$/, `: ${detail}.`) : m;
}

/** "Taken Under Submission" is what AD CS reports, and what certsrv clients look for. */
export const pendingMessage = (reason: string) => `Taken Under Submission. ${reason}`;

/** A request that could not even be decoded: denied with its code, audited, nothing else written. */
export async function recordFailure(
  t: Tessera,
  actor: Actor,
  req: NewRequest,
  detail: string | undefined,
): Promise<SubmitResult> {
  const id = await t.store.batch(async (tx) => {
    const id = await tx.requests.insert(req);
    await tx.audit.append({
      actor: actorName(actor),
      action: 'request.denied',
      requestId: id,
      source: req.source,
      target: req.subjectUser,
      details: { code: req.code, detail, template: req.template, sha256: req.requestSha256 },
      at: req.submittedAt,
    });
    return id;
  });
  t.exits.emit({ kind: 'denied', requestId: id, template: req.template, code: req.code! });
  return withoutCertificate(id, 'denied', req.code as ErrorCode, req.message, {
    template: req.template,
    notes: [],
    subjectUser: req.subjectUser,
  });
}

/**
 * Record a policy decision. For a new request `existingId` is undefined and a request row
 * is inserted; for an approval it is the pending request's ID.
 */
export async function recordDecision(
  t: Tessera,
  actor: Actor,
  decoded: DecodedRequest,
  base: RequestBase,
  decision: Decision,
  started: number,
  existingId?: number,
): Promise<SubmitResult> {
  const format = decoded.format;
  const row = (over: Pick<NewRequest, 'disposition' | 'code' | 'message'>): NewRequest => ({
    ...base,
    format,
    requestDer: decoded.der,
    ...over,
  });
  const who = actorName(actor);

  if (decision.kind === 'deny') {
    // Step 8 for a denial: the disposition and its audit record in one commit; step 9 after it.
    const message = denialMessage(decision.code, decision.detail);
    const id = await t.store.batch(async (tx) => {
      const id = existingId ?? (await tx.requests.insert(row({ disposition: 'denied', code: decision.code, message })));
      if (existingId !== undefined) {
        const ok = await tx.requests.resolve(existingId, ['pending'], {
          disposition: 'denied',
          code: decision.code,
          message,
          resolvedAt: t.now(),
          resolvedBy: who,
        });
        if (!ok) throw new TesseraError('REQUEST_NOT_PENDING', `request ${existingId}`);
      }
      await tx.audit.append({
        actor: who,
        action: 'request.denied',
        requestId: id,
        source: base.source,
        target: base.subjectUser,
        details: {
          code: decision.code,
          detail: decision.detail,
          template: base.template,
          agent: base.agent,
          format,
          notes: decision.notes,
        },
      });
      return id;
    });
    t.exits.emit({ kind: 'denied', requestId: id, template: base.template, code: decision.code });
    return withoutCertificate(id, 'denied', decision.code, message, { ...base, notes: decision.notes });
  }

  if (decision.kind === 'pend') {
    // Step 8 for a pending request: stored and audited; a manager's resubmit starts again at step 2.
    const message = pendingMessage(decision.reason);
    const id = await t.store.batch(async (tx) => {
      const id = await tx.requests.insert(row({ disposition: 'pending', code: null, message }));
      await tx.audit.append({
        actor: who,
        action: 'request.pending',
        requestId: id,
        source: base.source,
        target: base.subjectUser,
        details: { template: base.template, agent: base.agent, format, reason: decision.reason, notes: decision.notes },
      });
      return id;
    });
    t.exits.emit({ kind: 'pending', requestId: id, template: base.template });
    return withoutCertificate(id, 'pending', null, message, { ...base, notes: decision.notes });
  }

  // Held, so that a graceful shutdown lets it finish instead of leaving its serial reserved.
  return t.store.hold(() => issue(t, who, decoded, base, decision.profile, decision.notes, started, row, existingId));
}

async function issue(
  t: Tessera,
  who: string,
  decoded: DecodedRequest,
  base: RequestBase,
  profile: IssuanceProfile,
  notes: readonly string[],
  started: number,
  row: (over: Pick<NewRequest, 'disposition' | 'code' | 'message'>) => NewRequest,
  existingId: number | undefined,
): Promise<SubmitResult> {
  const ca = t.issuing;
  const now = t.now();

  /**
   * Nothing was reserved (lint refused the profile, or the intent commit itself failed
   * for a reason other than the storage being away): the request still gets its stored
   * disposition, `failed`, with the detail in the audit trail — never a request ID that
   * silently vanished, and never a row updated by a rolled-back ID.
   */
  const failUnrecorded = async (err: TesseraError): Promise<SubmitResult> => {
    const code = err.code;
    const message = errorRegistry[code].message;
    const id = await t.store.batch(async (tx) => {
      let id: number;
      if (existingId === undefined) {
        id = await tx.requests.insert(row({ disposition: 'failed', code, message }));
      } else {
        if (
          !(await tx.requests.resolve(existingId, ['pending'], {
            disposition: 'failed',
            code,
            message,
            resolvedAt: t.now(),
            resolvedBy: who,
          }))
        ) {
          throw new TesseraError('REQUEST_NOT_PENDING', `request ${existingId}`);
        }
        id = existingId;
      }
      await tx.audit.append({
        actor: who,
        action: 'request.failed',
        requestId: id,
        source: base.source,
        target: base.subjectUser,
        details: { code, detail: err.detail, template: base.template },
      });
      return id;
    });
    t.exits.emit({ kind: 'failed', requestId: id, template: base.template, code });
    return {
      requestId: id,
      disposition: 'failed',
      code,
      message,
      serial: null,
      certificate: null,
      template: base.template,
      notes,
      subjectUser: base.subjectUser,
    };
  };

  // Step 5. Prepare: serial, validity clamped to the issuer, lint, TBS (ca/CertificateAuthority.ts).
  let prepared: PreparedCertificate;
  try {
    prepared = ca.prepare(profile, now);
  } catch (e) {
    return failUnrecorded(asTesseraError(e));
  }
  let requestId = existingId ?? 0;
  let recorded = false;
  let issued: IssuedCertificate;
  try {
    issued = await ca.issue(prepared, async (intent) => {
      // Step 6. Record intent: the request row moves to `issuing` and the serial is
      // reserved with the TBS in one commit, before anything is signed.
      await t.store.batch(async (tx) => {
        if (existingId === undefined) {
          requestId = await tx.requests.insert(row({ disposition: 'issuing', code: null, message: 'Issuing' }));
        } else {
          const ok = await tx.requests.resolve(existingId, ['pending'], {
            disposition: 'issuing',
            code: null,
            message: 'Issuing',
            resolvedAt: now,
            resolvedBy: who,
          });
          if (!ok) throw new TesseraError('REQUEST_NOT_PENDING', `request ${existingId}`);
        }
        await tx.certificates.reserve({ ...intent, requestId }, now);
      });
      recorded = true;
      // Step 7 (sign) follows inside ca.issue, once this promise has settled.
    });
  } catch (e) {
    const err = asTesseraError(e);
    // Storage away: nothing was changed, and the caller hears so.
    // A lost approval race: the other manager's decision stands.
    if (err.code === 'STORAGE_UNAVAILABLE' || err.code === 'STORAGE_FULL' || err.code === 'REQUEST_NOT_PENDING')
      throw err;
    if (!recorded) return failUnrecorded(err);
    // The reservation committed but signing failed: the serial is abandoned, the request failed.
    const failedCode: ErrorCode = err.code === 'INTERNAL' ? 'CA_KEY_UNAVAILABLE' : err.code;
    await t.store.batch(async (tx) => {
      await tx.certificates.abandon(prepared.intent.serial);
      await tx.requests.resolve(requestId, ['issuing'], {
        disposition: 'failed',
        code: failedCode,
        message: errorRegistry[failedCode].message,
        resolvedAt: t.now(),
        resolvedBy: null,
      });
      await tx.audit.append({
        actor: who,
        action: 'request.failed',
        requestId,
        serial: prepared.intent.serial,
        source: base.source,
        details: { code: failedCode, detail: err.detail },
      });
    });
    t.exits.emit({ kind: 'failed', requestId, template: base.template, code: failedCode });
    return {
      requestId,
      disposition: 'failed',
      code: failedCode,
      message: errorRegistry[failedCode].message,
      serial: null,
      certificate: null,
      template: base.template,
      notes,
      subjectUser: base.subjectUser,
    };
  }
  // Step 8. Release: the certificate becomes `issued` and the request `issued` in one
  // commit, audited; the response is sent only after it.
  const message = 'Issued';
  await t.store.batch(async (tx) => {
    await tx.certificates.markIssued(issued.serial, issued.der, t.now());
    await tx.requests.resolve(requestId, ['issuing'], {
      disposition: 'issued',
      code: null,
      message,
      serial: issued.serial,
      resolvedAt: t.now(),
      resolvedBy: existingId === undefined ? null : who,
    });
    await tx.audit.append({
      actor: who,
      action: 'certificate.issued',
      requestId,
      serial: issued.serial,
      source: base.source,
      target: profile.subjectUser,
      details: {
        template: profile.template.name,
        subject: issued.subject,
        san: profile.san.map((n) => `${n.type}:${typeof n.value === 'string' ? n.value : ''}`),
        sid: profile.sid,
        key: describeKey(profile.key),
        format: decoded.format,
        agent: base.agent,
        requester: base.requester,
        notAfter: issued.notAfter.toISOString(),
        notes,
      },
    });
  });
  // Step 9. Exit modules hear of it after the commit; they cannot change the outcome.
  t.exits.emit({
    kind: 'issued',
    requestId,
    serial: issued.serial,
    template: profile.template.name,
    subjectUser: profile.subjectUser,
    der: issued.der,
    latencyMs: performance.now() - started,
  });
  return {
    requestId,
    disposition: 'issued',
    code: null,
    message,
    serial: issued.serial,
    certificate: issued.der,
    template: profile.template.name,
    notes,
    subjectUser: profile.subjectUser,
  };
}
