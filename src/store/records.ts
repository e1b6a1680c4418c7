/** Records the store hands out: camelCase views of rows, with no SQL types leaking. */
import type { AuditContent } from '../audit/chain.js';

export type Disposition = 'issuing' | 'issued' | 'pending' | 'denied' | 'failed' | 'revoked';

/** A request as it is submitted; the store assigns its ID, the decision its serial and resolution. */
export interface NewRequest {
  readonly submittedAt: Date;
  /** The authenticated principal that submitted the request. */
  readonly requester: string;
  /** Whose names are in the certificate (the requester, or the target of an agent). */
  readonly subjectUser: string | null;
  readonly agent: string | null;
  readonly template: string | null;
  readonly format: string;
  readonly requestDer: Buffer | null;
  readonly requestSha256: string;
  readonly attributes: Record<string, string>;
  readonly disposition: Disposition;
  readonly code: string | null;
  readonly message: string;
  readonly source: string | null;
}

export interface RequestRecord extends NewRequest {
  readonly id: number;
  readonly serial: string | null;
  readonly resolvedAt: Date | null;
  readonly resolvedBy: string | null;
}

export type CertificateStatus = 'reserved' | 'issued' | 'revoked' | 'abandoned';

export interface CertificateRecord {
  readonly serial: string;
  readonly caId: string;
  readonly requestId: number | null;
  readonly subject: string;
  readonly subjectUser: string | null;
  readonly template: string | null;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly status: CertificateStatus;
  readonly der: Buffer | null;
  readonly issuedAt: Date | null;
  readonly revokedAt: Date | null;
  readonly revocationReason: number | null;
}

export interface UserRecord {
  readonly id: number;
  readonly username: string;
  readonly upn: string | null;
  readonly email: string | null;
  readonly displayName: string;
  readonly sid: string;
  readonly dn: string;
  readonly enabled: boolean;
  readonly createdAt: Date;
}

export interface GroupRecord {
  readonly id: number;
  readonly name: string;
  readonly sid: string;
  readonly description: string;
}

export interface CaRecord {
  readonly id: string;
  readonly name: string;
  readonly role: 'root' | 'issuing';
  readonly parentId: string | null;
  readonly certificate: Buffer;
  readonly keyRef: string;
  readonly renewal: number;
  readonly active: boolean;
}

export interface AuditEvent {
  readonly actor: string;
  readonly action: string;
  readonly target?: string | null;
  readonly requestId?: number | null;
  readonly serial?: string | null;
  readonly source?: string | null;
  readonly details?: Record<string, unknown>;
  readonly at?: Date;
}

/** A stored audit record: the chained content (audit/chain.ts) with its time and details decoded. */
export interface AuditRecord extends Omit<AuditContent, 'at' | 'details'> {
  readonly at: Date;
  readonly details: Record<string, unknown>;
  readonly hash: string;
}
