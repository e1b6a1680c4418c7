/**
 * The audit hash chain: each record carries the HMAC of the previous record's hash and
 * its own content. Keyed with a secret outside the database (data/keys/audit.key or
 * TESSERA_AUDIT_KEY), so someone who can write to the database alone cannot rewrite
 * history and recompute the chain (the idea of EJBCA's database integrity protection).
 * Changing, deleting or reordering a record, or cutting the tail, breaks verification.
 *
 * The head (last sequence number and hash, kept in `meta`) carries its own HMAC: without
 * it, someone who deletes the newest records could also rewind the head to match and the
 * cut would go unnoticed. What the key cannot stop is putting back an older genuine head
 * copied earlier; an external copy of the head (a log shipper) closes that gap.
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
  const canonical = JSON.stringify([
    r.seq,
    r.at,
    r.actor,
    r.action,
    r.target,
    r.requestId,
    r.serial,
    r.source,
    r.details,
  ]);
  return createHmac('sha256', key).update(prev).update('\n').update(canonical).digest('hex');
}

/** The authenticated head of the chain, as stored in `meta`. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
  readonly mac: string;
}

export function headMac(key: Buffer, seq: number, hash: string): string {
  return createHmac('sha256', key).update(`head\n${seq}\n${hash}`).digest('hex');
}

export function makeHead(key: Buffer, seq: number, hash: string): ChainHead {
  return { seq, hash, mac: headMac(key, seq, hash) };
}
