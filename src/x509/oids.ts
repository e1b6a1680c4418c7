/**
 * Object identifiers Tessera reads or writes, with the document that defines each.
 * Names follow the defining document (RFC field names, Microsoft szOID_* names).
 */
export const OID = {
  // RFC 5280 §4.2.1 certificate extensions
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  cRLNumber: '2.5.29.20',
  cRLReason: '2.5.29.21',
  deltaCRLIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  nameConstraints: '2.5.29.30',
  cRLDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  anyPolicy: '2.5.29.32.0',
  policyMappings: '2.5.29.33',
  policyConstraints: '2.5.29.36',
  inhibitAnyPolicy: '2.5.29.54',
  certificateIssuer: '2.5.29.29',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  freshestCRL: '2.5.29.46',
  anyExtendedKeyUsage: '2.5.29.37.0',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  ocsp: '1.3.6.1.5.5.7.48.1',
  caIssuers: '1.3.6.1.5.5.7.48.2',
  // RFC 5280 §4.2.1.12 key purposes
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  OCSPSigning: '1.3.6.1.5.5.7.3.9',
  // RFC 6960 §4.2.2.2.1
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  // RFC 4556 PKINIT
  pkinitClientAuth: '1.3.6.1.5.2.3.4',
  // Microsoft (wincrypt.h; docs/certsrv.md §7)
  smartcardLogon: '1.3.6.1.4.1.311.20.2.2', // szOID_KP_SMARTCARD_LOGON
  certificateRequestAgent: '1.3.6.1.4.1.311.20.2.1', // szOID_ENROLLMENT_AGENT
  efs: '1.3.6.1.4.1.311.10.3.4',
  userPrincipalName: '1.3.6.1.4.1.311.20.2.3', // szOID_NT_PRINCIPAL_NAME
  certificateTemplateName: '1.3.6.1.4.1.311.20.2', // szOID_ENROLL_CERTTYPE_EXTENSION (v1, BMPString)
  certificateTemplate: '1.3.6.1.4.1.311.21.7', // szOID_CERTIFICATE_TEMPLATE (v2)
  applicationPolicies: '1.3.6.1.4.1.311.21.10', // szOID_APPLICATION_CERT_POLICIES
  ntdsCaSecurityExt: '1.3.6.1.4.1.311.25.2', // szOID_NTDS_CA_SECURITY_EXT (KB5014754)
  ntdsObjectSid: '1.3.6.1.4.1.311.25.2.1', // szOID_NTDS_OBJECTSID
  enrollmentNameValuePair: '1.3.6.1.4.1.311.13.2.1',
  enrollmentCspProvider: '1.3.6.1.4.1.311.13.2.2',
  osVersion: '1.3.6.1.4.1.311.13.2.3',
  requestClientInfo: '1.3.6.1.4.1.311.21.20',
  renewalCertificate: '1.3.6.1.4.1.311.13.1',
  cmcAddAttributes: '1.3.6.1.4.1.311.10.10.1',
  caVersion: '1.3.6.1.4.1.311.21.1', // szOID_CERTSRV_CA_VERSION
  // PKCS#9 / RFC 2985
  extensionRequest: '1.2.840.113549.1.9.14',
  challengePassword: '1.2.840.113549.1.9.7',
  emailAddress: '1.2.840.113549.1.9.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  // X.520 attribute types
  commonName: '2.5.4.3',
  surname: '2.5.4.4',
  serialNumber: '2.5.4.5',
  countryName: '2.5.4.6',
  localityName: '2.5.4.7',
  stateOrProvinceName: '2.5.4.8',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  givenName: '2.5.4.42',
  domainComponent: '0.9.2342.19200300.100.1.25',
  uid: '0.9.2342.19200300.100.1.1',
  // Keys and signatures (RFC 3279, RFC 4055, RFC 5480, RFC 5758, RFC 8017)
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSHA1: '1.2.840.10045.4.1',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
  secp256r1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  // CMS / PKCS#7 (RFC 5652) and CMC (RFC 5272)
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  idCctPKIData: '1.3.6.1.5.5.7.12.2',
  idCctPKIResponse: '1.3.6.1.5.5.7.12.3',
  idCmcStatusInfo: '1.3.6.1.5.5.7.7.1',
  idCmcRegInfo: '1.3.6.1.5.5.7.7.18',
  idCmcStatusInfoV2: '1.3.6.1.5.5.7.7.25',
} as const;

/** Human names for EKU OIDs in CLI and page output. */
export const EKU_NAMES: Record<string, string> = {
  [OID.serverAuth]: 'Server Authentication',
  [OID.clientAuth]: 'Client Authentication',
  [OID.emailProtection]: 'Secure Email',
  [OID.smartcardLogon]: 'Smart Card Logon',
  [OID.certificateRequestAgent]: 'Certificate Request Agent',
  [OID.OCSPSigning]: 'OCSP Signing',
  [OID.efs]: 'Encrypting File System',
  [OID.pkinitClientAuth]: 'PKINIT Client Authentication',
  [OID.anyExtendedKeyUsage]: 'Any Purpose',
};

/** EKUs that let a certificate authenticate a user (Certipy find.py `client_authentication`). */
export const AUTHENTICATION_EKUS: readonly string[] = [
  OID.clientAuth,
  OID.smartcardLogon,
  OID.pkinitClientAuth,
  OID.anyExtendedKeyUsage,
];
