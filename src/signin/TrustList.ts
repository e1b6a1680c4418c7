/**
 * The trust configuration of the smart card relying party. Path building and validation
 * themselves are validatePath.ts (RFC 5280 §6.1).
 */
import type { ParsedCertificate } from '../x509/certificate.js';

export interface TrustList {
  /** Roots (trust anchors): a path must end at one of them. */
  readonly anchors: readonly ParsedCertificate[];
  /**
   * The authentication trust list — the role of NTAuth (MS-WCCE §2.2.2.11.3): the CAs
   * allowed to issue sign-in certificates. The end-entity certificate's issuer must be one
   * of them; they also serve as intermediates for path building.
   */
  readonly authenticationCas: readonly ParsedCertificate[];
}
