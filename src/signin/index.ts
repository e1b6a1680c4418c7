/**
 * The smart card relying party, for services to embed (docs/signin.md): give it the
 * certificate chain your TLS stack received and how possession of the key was proven;
 * it answers with the directory account or the reason it refuses. No HTTP framework here.
 */
export { SmartCardValidator, CHECK_TITLES, EKU_POLICY, mappingText } from './SmartCardValidator.js';
export type {
  Check,
  CheckId,
  EkuPolicy,
  Possession,
  SigninDecision,
  ValidatorDeps,
  ValidatorSettings,
  CertificateSummary,
} from './SmartCardValidator.js';
export { DEFAULT_REVOCATION, RevocationChecker } from './RevocationChecker.js';
export type { RevocationContext, RevocationPolicy, RevocationResult } from './RevocationChecker.js';
export { validatePath } from './validatePath.js';
export type { PathStage, PathValidation, ValidatePathOptions } from './validatePath.js';
export { DEFAULT_ALGORITHMS } from './signatures.js';
export type { AlgorithmPolicy } from './signatures.js';
export { httpFetch } from './httpFetch.js';
export type { FetchRequest, FetchResponse, RevocationFetcher } from './httpFetch.js';
export { parseAltSecurityIdentity } from './mapAccount.js';
export type { AccountLookup, Mapping, MappingKind } from './mapAccount.js';
export { parseCertificate } from './parseCertificate.js';
export type { ParsedCertificate } from './parseCertificate.js';
export { possessionOf, presentedChain } from './tlsPeer.js';
