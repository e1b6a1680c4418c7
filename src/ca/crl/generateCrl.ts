/**
 * Generate one full or delta CRL (RFC 5280 §5) from the database, streaming: rows come
 * a page at a time (CrlStore keyset pagination) and go straight into the encoder.
 * Runs inside the publisher's transaction, so what it reads is one snapshot.
 */
import { createPublicKey, verify } from 'node:crypto';
import { TesseraError } from '../../errors/TesseraError.js';
import { signingHash } from '../../keys/algorithms.js';
import type { CrlStore } from '../../store/CrlStore.js';
import { CrlEncoder, REMOVE_FROM_CRL } from '../../x509/crl.js';
import { integer } from '../../x509/der.js';
import { authorityKeyIdentifierExtension, crlDistributionPointsValue, extension } from '../../x509/extensions.js';
import { OID } from '../../x509/oids.js';
import type { CaCertificate } from '../CaCertificate.js';

/** What signs a CRL: the issuing CA (CertificateAuthority.signData) or a CA key loaded on demand. */
export interface CrlSigner {
  /** AlgorithmIdentifier DER of the signatures `sign` makes. */
  readonly algorithm: Buffer;
  sign(data: Uint8Array): Promise<Buffer>;
}

export type CrlPlan =
  | {
      readonly kind: 'full';
      readonly number: number;
      readonly thisUpdate: Date;
      readonly nextUpdate: Date;
      /**
       * Entries for certificates that expired on or before this instant are left out.
       * RFC 5280 §3.3: an entry stays "until it appears on one regularly scheduled CRL
       * issued beyond the revoked certificate's validity period", so the publisher passes
       * the previous full CRL's thisUpdate.
       */
      readonly expiredBefore: Date;
      /** freshestCRL (RFC 5280 §5.2.6): where the delta CRLs for this full CRL are. */
      readonly freshestCrlUrls?: readonly string[];
    }
  | {
      readonly kind: 'delta';
      readonly number: number;
      readonly thisUpdate: Date;
      readonly nextUpdate: Date;
      /** The base full CRL's number and the revocation version it saw (RFC 5280 §5.2.4). */
      readonly baseNumber: number;
      readonly baseVersion: number;
    };

export interface GeneratedCrl {
  readonly der: Buffer;
  readonly entries: number;
}

export async function generateCrl(
  crls: CrlStore,
  caId: string,
  ca: CaCertificate,
  signer: CrlSigner,
  plan: CrlPlan,
): Promise<GeneratedCrl> {
  const enc = new CrlEncoder({
    issuer: ca.subjectDer,
    signatureAlgorithm: signer.algorithm,
    thisUpdate: plan.thisUpdate,
    nextUpdate: plan.nextUpdate,
  });
  if (plan.kind === 'full') {
    for await (const page of crls.revokedPages(caId, plan.expiredBefore.getTime())) {
      for (const r of page) enc.add(r.serial, Number(r.revoked_at), r.revocation_reason);
    }
  } else {
    for await (const page of crls.changedPages(caId, plan.baseVersion)) {
      for (const r of page) {
        if (r.status === 'revoked') enc.add(r.serial, Number(r.revoked_at), r.revocation_reason);
        // RFC 5280 §5.3.1: removeFromCRL "is used only in delta CRLs and indicates that a
        // certificate is to be removed from a CRL because ... it was removed from hold".
        else if (r.status === 'issued') enc.add(r.serial, Number(r.change_at), REMOVE_FROM_CRL);
      }
    }
  }
  // RFC 5280 §5.2: conforming CRL issuers MUST include the AKI and the CRL number.
  const exts = [authorityKeyIdentifierExtension(ca.keyId), extension(OID.cRLNumber, false, integer(plan.number))];
  if (plan.kind === 'delta') {
    // RFC 5280 §5.2.4: deltaCRLIndicator is critical and names the base CRL's number.
    exts.push(extension(OID.deltaCRLIndicator, true, integer(plan.baseNumber)));
  } else if (plan.freshestCrlUrls?.length) {
    // RFC 5280 §5.2.6: freshestCRL is non-critical, with the cRLDistributionPoints syntax.
    exts.push(extension(OID.freshestCRL, false, crlDistributionPointsValue(plan.freshestCrlUrls)));
  }
  const tbs = enc.finishTbs(exts);
  const signature = await signer.sign(tbs);
  // Check the signature before anything is published (a faulty key or HSM never
  // produces a CRL relying parties would reject).
  const ok = verify(
    signingHash(ca.key),
    tbs,
    createPublicKey({ key: ca.spki, format: 'der', type: 'spki' }),
    signature,
  );
  if (!ok) throw new TesseraError('CRL_SIGNATURE_INVALID', `CRL ${plan.number} of ${caId}`);
  return { der: enc.certificateList(signature), entries: enc.count };
}
