/**
 * The audit hash chain: each record carries the HMAC of the previous record's hash and
 * its own content. Keyed with a secret outside the database (data/keys/audit.key or
 * TESSERA_AUDIT_KEY), so someone who can write to the database alone cannot rewrite
 * history and recompute the chain (the idea of EJBCA's database integrity protection).
 * Changing, deleting or reordering a record, or cutting the tail, breaks verification.
 */
import { createHmac } from 'node:crypto';

export const GENESIS = '0'.repeat(64);

export interface AuditContent {
  readonly seq: number;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly requestId: number | null;
  readonly serial: string | null;
  readonly source: string | null;
  /** JSON text of the details object, exactly as stored. */
  readonly details: string;
}

export function chainHash(key: Buffer, prev: string, r: AuditContent): string {
  const canonical = JSON.stringify([r.seq, r.at, r.actor, r.action, r.target, r.requestId, r.serial, r.source, r.details]);
  return createHmac('sha256', key).update(prev).update('\n').update(canonical).digest('hex');
}
