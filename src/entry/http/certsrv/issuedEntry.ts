/**
 * An issued certificate as "Pending / issued requests" lists it: the facts the page script matches against card keys.
 */
import { createHash } from 'node:crypto';
import { readCaCertificate } from '../../../ca/CaCertificate.js';
import type { IssuedEntry } from './pages/pendingList.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export function issuedEntry(requestId: number, template: string | null, der: Buffer): IssuedEntry {
  const c = readCaCertificate(der);
  return {
    requestId,
    template,
    subject: c.subject,
    notAfter: c.notAfter,
    sha256: sha256(der),
    spkiSha256: sha256(c.spki),
    keyId: c.keyId.toString('hex'),
  };
}
