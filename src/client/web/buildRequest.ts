/**
 * The certificate request the page submits, for either key provider: a PKCS#10 signed by
 * the new key (x509/buildCsr.ts), optionally wrapped in a CMC Full PKI Request whose
 * proof-of-possession signature is by the new key too, and — at the enrollment station —
 * co-signed by the enrollment agent with the RequesterName regInfo
 * (x509/cmc/buildCmcRequest.ts). The same encoders the CLI and the card agent tests use.
 */
import { buildCsr, type RequestHash, type SignCallback } from '../../x509/buildCsr.js';
import { buildCmcRequest, encodePkiData, type CmcAgentSigner } from '../../x509/cmc/buildCmcRequest.js';
import type { TemplateInfo } from './template.js';

/** Provider names for the 1.3.6.1.4.1.311.13.2.2 attribute (the CSP field of AD CS requests). */
export const BROWSER_PROVIDER = 'Tessera Browser Key (WebCrypto)';
export const CARD_PROVIDER = 'Tessera Card Agent (PKCS#11)';

/** A new key that can sign its own request: in the browser, or on a card through the agent. */
export interface RequestKey {
  readonly spki: Uint8Array;
  readonly keyKind: 'rsa' | 'ec';
  /** Signs the PKCS#10 CertificationRequestInfo. */
  readonly signPkcs10: SignCallback;
  /**
   * Signs the CMC signed attributes; `content` is the PKIData they cover (the card agent
   * checks that it carries the session's key before it signs).
   */
  readonly signCmc: (content: Uint8Array) => SignCallback;
}

export interface EnrollmentRequestOptions {
  readonly key: RequestKey;
  readonly hash: RequestHash;
  readonly format: 'cmc' | 'pkcs10';
  readonly template: TemplateInfo;
  readonly keySpec: 1 | 2;
  readonly provider: string;
  /** Enroll on behalf: requesterNameRegInfo(target) (CMC only). */
  readonly regInfo?: string;
  /** Enroll on behalf: the agent's co-signature (CMC only). */
  readonly agent?: CmcAgentSigner;
}

export interface EnrollmentRequest {
  /** DER of the PKCS#10 or of the CMC ContentInfo. */
  readonly der: Uint8Array;
  readonly csr: Uint8Array;
  readonly format: 'cmc' | 'pkcs10';
}

export async function buildEnrollmentRequest(o: EnrollmentRequestOptions): Promise<EnrollmentRequest> {
  if ((o.regInfo !== undefined || o.agent) && o.format !== 'cmc')
    throw new RangeError('enroll on behalf needs the CMC format');
  const csr = await buildCsr({
    spki: o.key.spki,
    keyKind: o.key.keyKind,
    hash: o.hash,
    sign: o.key.signPkcs10,
    // Empty subject: the CA builds names from the directory (the target's, on behalf).
    template: o.template.name,
    csp: { keySpec: o.keySpec, provider: o.provider },
    clientInfo: { clientId: 1, machine: '', user: '', process: 'Tessera Web Enrollment' },
  });
  if (o.format === 'pkcs10') return { der: csr, csr, format: 'pkcs10' };
  // The PKIData buildCmcRequest will encode (same inputs, same DER), for the card agent's check.
  const content = encodePkiData({ csr, regInfo: o.regInfo });
  const der = await buildCmcRequest({
    csr,
    spki: o.key.spki,
    keyKind: o.key.keyKind,
    hash: o.hash,
    sign: o.key.signCmc(content),
    regInfo: o.regInfo,
    agent: o.agent,
  });
  return { der, csr, format: 'cmc' };
}

export const HASHES: Record<string, RequestHash> = {
  sha1: 'SHA-1',
  sha256: 'SHA-256',
  sha384: 'SHA-384',
  sha512: 'SHA-512',
};
