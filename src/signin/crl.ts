/**
 * CRLs for the relying party (RFC 5280 §5 and §6.3), the fallback when OCSP does not
 * answer. x509/crl.ts reads them (strictly: any CRL that cannot be read is no answer).
 *
 * A CRL is used only when (§6.3.3): its issuer is the certificate's issuer and the CA's
 * key verifies its signature under the allow-list; the CA may sign CRLs (keyUsage
 * cRLSign, §4.2.1.3); nextUpdate is present and has not passed (a stale CRL is no answer,
 * Vault HCSEC-2021-09 shows what trusting one costs); its scope (issuingDistributionPoint)
 * covers the certificate and it is neither indirect nor limited to some reasons; it has
 * no critical extension this code does not process. A delta CRL (§5.2.4) is applied on
 * top of the complete CRL it names as its base.
 */
import { TesseraError } from '../errors/TesseraError.js';
import { readCrl, type ParsedCrl } from '../x509/crl.js';
import type { ParsedCertificate } from './parseCertificate.js';
import { verifyWith } from './signatures.js';

export type { CrlEntry, ParsedCrl } from '../x509/crl.js';

const UNUSABLE = 'SIGNIN_REVOCATION_UNKNOWN';
function bad(detail: string): never {
  throw new TesseraError(UNUSABLE, detail);
}

/** Read a DER CRL with x509/crl.ts (throws SIGNIN_REVOCATION_UNKNOWN: a CRL that cannot be read is no answer). */
export function parseCrl(input: Uint8Array): ParsedCrl {
  return readCrl(input, UNUSABLE);
}

export interface CrlUseOptions {
  readonly now: Date;
  readonly skewMs: number;
  /** Oldest acceptable thisUpdate as an age; 0 for no limit beyond nextUpdate. */
  readonly maxAgeMs: number;
}

/**
 * Whether `crl` may decide the status of `cert` issued by `issuer` (fetched from `url`).
 * Throws SIGNIN_REVOCATION_UNKNOWN saying why not.
 */
export async function checkCrl(
  crl: ParsedCrl,
  cert: ParsedCertificate,
  issuer: ParsedCertificate,
  url: string,
  o: CrlUseOptions,
  kind: 'complete' | 'delta',
): Promise<void> {
  // §6.3.3 (f): the CRL issuer is the certificate issuer (no indirect CRLs here).
  if (!crl.issuer.equals(cert.issuer)) bad(`the CRL at ${url} is issued by another CA`);
  if (crl.authorityKeyId && issuer.subjectKeyId && !crl.authorityKeyId.equals(issuer.subjectKeyId))
    bad(`the CRL at ${url} names another key of its CA`);
  // §4.2.1.3 / §6.3.3 (f): the key that signs CRLs has cRLSign.
  if (issuer.keyUsage && !issuer.keyUsage.has('cRLSign')) bad(`"${issuer.subjectText}" may not sign CRLs (no cRLSign)`);
  const sig = await verifyWith(crl.signatureAlgorithm, crl.tbs, crl.signature, issuer.spki);
  if (!sig.ok) bad(`the CRL at ${url} is not signed acceptably by "${issuer.subjectText}": ${sig.reason}`);
  if (kind === 'complete' && crl.baseCrlNumber !== undefined)
    bad(`the CRL at ${url} is a delta CRL, not a complete one`);
  if (kind === 'delta' && crl.baseCrlNumber === undefined) bad(`the CRL at ${url} is not a delta CRL`);
  const now = o.now.getTime();
  if (crl.thisUpdate.getTime() > now + o.skewMs) bad(`the CRL at ${url} has thisUpdate in the future`);
  // A CRL without nextUpdate could be any age; §5.1.2.5 requires conforming CAs to include it.
  if (!crl.nextUpdate) bad(`the CRL at ${url} has no nextUpdate`);
  if (crl.nextUpdate.getTime() + o.skewMs < now)
    bad(`the CRL at ${url} is stale: nextUpdate ${crl.nextUpdate.toISOString()} has passed`);
  if (o.maxAgeMs > 0 && now - crl.thisUpdate.getTime() > o.maxAgeMs)
    bad(`the CRL at ${url} is older than ${Math.round(o.maxAgeMs / 1000)} s`);
  // This URL-based path uses direct CRLs only; indirect ones are for crlStatus.ts.
  if (crl.hasIndirectEntries) bad(`the CRL at ${url} is indirect (certificateIssuer entries)`);
  if (crl.idp) {
    const isCa = !!cert.basicConstraints?.ca;
    if (crl.idp.partial) bad(`the CRL at ${url} is partial or indirect (issuingDistributionPoint)`);
    if ((crl.idp.onlyUser && isCa) || (crl.idp.onlyCa && !isCa))
      bad(`the CRL at ${url} does not cover this kind of certificate`);
    // §6.3.3 (b)(2)(i): the IDP's name must be one of the certificate's distribution points.
    if (crl.idp.urls.length && !crl.idp.urls.some((u) => cert.crlUrls.includes(u) || cert.freshestCrlUrls.includes(u)))
      bad(`the CRL at ${url} is for another distribution point`);
  }
}
