/**
 * Use case: revoke a certificate (ICertAdmin::RevokeCertificate) with an RFC 5280
 * §5.3.1 reason. Managers revoke anything; a user may revoke their own certificate for
 * key compromise (or cessation/superseded) without a manager. Immediate in the database
 * and audited; CRL and OCSP pick it up from there.
 */
import { TesseraError } from '../errors/TesseraError.js';
import type { Tessera } from '../Tessera.js';
import { actorName, hasRole, type Actor } from './Actor.js';

export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  privilegeWithdrawn: 9,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

const SELF_SERVICE: readonly RevocationReason[] = [
  'keyCompromise',
  'superseded',
  'cessationOfOperation',
  'unspecified',
];

export function parseReason(name: string | undefined): RevocationReason {
  const n = (name ?? 'unspecified') as RevocationReason;
  if (!(n in REVOCATION_REASONS))
    throw new TesseraError(
      'INPUT_INVALID',
      `revocation reason must be one of ${Object.keys(REVOCATION_REASONS).join(', ')}`,
    );
  return n;
}

export async function revoke(
  t: Tessera,
  actor: Actor,
  serial: string,
  reason: RevocationReason,
): Promise<{ serial: string; reason: RevocationReason; revokedAt: Date }> {
  const cert = await t.store.certificates.get(serial);
  const manager = actor.kind === 'local' || hasRole(actor.user, t.config.roles, 'certificateManagers');
  const own = actor.kind === 'user' && cert?.subjectUser?.toLowerCase() === actor.user.username.toLowerCase();
  if (!cert || (!manager && !own)) throw new TesseraError('CERT_NOT_FOUND', serial);
  if (!manager && !SELF_SERVICE.includes(reason))
    throw new TesseraError('FORBIDDEN', `users may revoke their own certificates for ${SELF_SERVICE.join(', ')} only`);
  if (cert.status === 'revoked') throw new TesseraError('INPUT_INVALID', `certificate ${serial} is already revoked`);
  if (cert.status !== 'issued') throw new TesseraError('CERT_NOT_FOUND', `${serial} is ${cert.status}`);
  const revokedAt = new Date(Math.floor(t.now().getTime() / 1000) * 1000);
  await t.store.transaction(async (tx) => {
    if (!(await tx.certificates.revoke(cert.serial, revokedAt, REVOCATION_REASONS[reason])))
      throw new TesseraError('INPUT_INVALID', `certificate ${serial} changed meanwhile`);
    if (cert.requestId !== null)
      await tx.requests.resolve(cert.requestId, ['issued'], {
        disposition: 'revoked',
        code: null,
        message: `Revoked (${reason})`,
        resolvedAt: revokedAt,
        resolvedBy: actorName(actor),
      });
    await tx.audit.append({
      actor: actorName(actor),
      action: 'certificate.revoked',
      serial: cert.serial,
      requestId: cert.requestId,
      source: actor.source,
      target: cert.subjectUser,
      details: { reason },
    });
  });
  t.exits.emit({
    kind: 'revoked',
    serial: cert.serial,
    reason: REVOCATION_REASONS[reason],
    subjectUser: cert.subjectUser,
    der: cert.der,
  });
  return { serial: cert.serial, reason, revokedAt };
}

/** Release from certificateHold (RFC 5280 §5.3.1: the only revocation that can be undone). */
export async function release(t: Tessera, actor: Actor, serial: string): Promise<void> {
  if (actor.kind === 'user' && !hasRole(actor.user, t.config.roles, 'certificateManagers'))
    throw new TesseraError('FORBIDDEN', 'only certificate managers release holds');
  const cert = await t.store.certificates.get(serial);
  if (!cert) throw new TesseraError('CERT_NOT_FOUND', serial);
  await t.store.transaction(async (tx) => {
    if (!(await tx.certificates.release(cert.serial)))
      throw new TesseraError('INPUT_INVALID', `certificate ${serial} is not on hold`);
    if (cert.requestId !== null)
      await tx.requests.resolve(cert.requestId, ['revoked'], {
        disposition: 'issued',
        code: null,
        message: 'Issued',
        resolvedAt: t.now(),
        resolvedBy: actorName(actor),
      });
    await tx.audit.append({
      actor: actorName(actor),
      action: 'certificate.released',
      serial: cert.serial,
      requestId: cert.requestId,
      source: actor.source,
      target: cert.subjectUser,
      details: {},
    });
  });
  t.exits.emit({ kind: 'unrevoked', serial: cert.serial, subjectUser: cert.subjectUser, der: cert.der });
}
