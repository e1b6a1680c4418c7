/**
 * Use cases: reading certificates (GET /api/v1/certificates and /certificates/{serial}).
 * A user reads the certificates issued to them; certificate managers, auditors and CA
 * administrators read every one (retrieve.ts canSeeAll). Someone else's certificate looks
 * exactly like a missing one, and only issued or revoked certificates are listed (not
 * reservations of an issuance in flight).
 */
import { TesseraError } from '../errors/TesseraError.js';
import type { CertificateRecord } from '../store/records.js';
import type { Tessera } from '../Tessera.js';
import type { Actor } from './Actor.js';
import { canSeeAll } from './retrieve.js';

type UserActor = Extract<Actor, { kind: 'user' }>;
type Readable = CertificateRecord & { der: Buffer };

export interface CertificateQuery {
  /** Whose certificates (default: the actor's own; another user's needs canSeeAll). */
  readonly user?: string;
  /** 'issued' or 'revoked' (default both). */
  readonly status?: string;
  readonly limit: number;
}

export async function listCertificates(t: Tessera, actor: UserActor, q: CertificateQuery): Promise<Readable[]> {
  const all = canSeeAll(t, actor);
  if (q.user && !all && q.user.toLowerCase() !== actor.user.username.toLowerCase()) {
    throw new TesseraError('FORBIDDEN', 'only managers and auditors list other users’ certificates');
  }
  if (q.status && !['issued', 'revoked'].includes(q.status)) {
    throw new TesseraError('INPUT_INVALID', 'status: issued or revoked');
  }
  const rows = await t.store.certificates.list({
    subjectUser: all ? q.user : actor.user.username,
    status: (q.status as 'issued' | 'revoked' | undefined) ?? undefined,
    limit: q.limit,
  });
  return rows.filter((c): c is Readable => c.status === 'issued' || c.status === 'revoked');
}

/** The certificate `serial` if `actor` may read it; CERT_NOT_FOUND otherwise. */
export async function readCertificate(t: Tessera, actor: UserActor, serial: string): Promise<Readable> {
  const c = await t.store.certificates.get(serial);
  const own = c?.subjectUser?.toLowerCase() === actor.user.username.toLowerCase();
  if (!c?.der || (!own && !canSeeAll(t, actor))) throw new TesseraError('CERT_NOT_FOUND', serial);
  return c as Readable;
}
