/**
 * CMC object identifiers (RFC 5272 §6 and Appendix A, RFC 6402) and the Microsoft CMC
 * attribute OIDs (learn.microsoft.com "CMC Attributes"; docs/certsrv.md §7). Browser-safe:
 * plain strings only.
 */
const idCmc = (n: number) => `1.3.6.1.5.5.7.7.${n}`;

export const CMC_OID = {
  // Content types (RFC 5272 §3.2, §4.2)
  idCctPKIData: '1.3.6.1.5.5.7.12.2',
  idCctPKIResponse: '1.3.6.1.5.5.7.12.3',
  // Controls (RFC 5272 §6; numbers from Appendix A "id-cmc")
  statusInfo: idCmc(1),
  identification: idCmc(2),
  identityProof: idCmc(3),
  dataReturn: idCmc(4),
  transactionId: idCmc(5),
  senderNonce: idCmc(6),
  recipientNonce: idCmc(7),
  addExtensions: idCmc(8),
  encryptedPOP: idCmc(9),
  decryptedPOP: idCmc(10),
  lraPOPWitness: idCmc(11),
  getCert: idCmc(15),
  getCRL: idCmc(16),
  revokeRequest: idCmc(17),
  regInfo: idCmc(18),
  responseInfo: idCmc(19),
  queryPending: idCmc(21),
  popLinkRandom: idCmc(22),
  popLinkWitness: idCmc(23),
  confirmCertAcceptance: idCmc(24),
  statusInfoV2: idCmc(25),
  trustedAnchors: idCmc(26),
  authData: idCmc(27),
  batchRequests: idCmc(28),
  batchResponses: idCmc(29),
  publishCert: idCmc(30),
  modCertTemplate: idCmc(31),
  controlProcessed: idCmc(32),
  popLinkWitnessV2: idCmc(33),
  identityProofV2: idCmc(34),
  // Microsoft (wincrypt.h szOID_CMC_ADD_ATTRIBUTES; learn.microsoft.com "CMC Attributes")
  msAddAttributes: '1.3.6.1.4.1.311.10.10.1',
  msIssuedCertHash: '1.3.6.1.4.1.311.21.17', // szOID_ISSUED_CERT_HASH
} as const;

/** RFC 5272 §6.1.1 CMCStatus values. */
export const CMC_STATUS = {
  success: 0,
  failed: 2,
  pending: 3,
  noSupport: 4,
  confirmRequired: 5,
  popRequired: 6,
  partial: 7,
} as const;

/** RFC 5272 §6.1.4 CMCFailInfo values. */
export const CMC_FAIL_INFO = {
  badAlg: 0,
  badMessageCheck: 1,
  badRequest: 2,
  badTime: 3,
  badCertId: 4,
  unsuportedExt: 5, // sic, the RFC's spelling
  mustArchiveKeys: 6,
  badIdentity: 7,
  popRequired: 8,
  popFailed: 9,
  noKeyReuse: 10,
  internalCAError: 11,
  tryLater: 12,
  authDataFail: 13,
} as const;

/** BodyPartID ::= INTEGER(0..4294967295) (RFC 5272 §3.2.1.1). */
export const MAX_BODY_PART_ID = 4294967295;
