/**
 * Use case: the certificates a person's own requests produced that are still good (issued,
 * not revoked, not expired) — what "Pending / issued requests" offers to install later,
 * e.g. onto the smart card that still holds the key (docs/web-client.md). Only the
 * requester's own requests: nobody is shown another person's certificates here.
 */
import type { CertificateRecord, RequestRecord } from '../store/records.js';
import type { Tessera } from '../Tessera.js';
import type { Actor } from './Actor.js';

export interface IssuedToRequester {
  readonly request: RequestRecord;
  readonly certificate: CertificateRecord & { readonly der: Buffer };
}

export async function issuedToRequester(t: Tessera, actor: Actor, limit = 50): Promise<IssuedToRequester[]> {
  if (actor.kind !== 'user') return [];
  const now = t.now().getTime();
  const requests = await t.store.requests.list({ requester: actor.user.username, disposition: 'issued', limit });
  const out: IssuedToRequester[] = [];
  for (const request of requests) {
    const certificate = request.serial ? await t.store.certificates.get(request.serial) : undefined;
    if (!certificate?.der || certificate.status !== 'issued' || certificate.notAfter.getTime() <= now) continue;
    out.push({ request, certificate: certificate as IssuedToRequester['certificate'] });
  }
  return out;
}
