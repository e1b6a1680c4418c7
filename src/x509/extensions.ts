/**
 * Encoders for the certificate extensions Tessera writes (RFC 5280 §4.2 and the
 * Microsoft extensions of docs/certsrv.md §7, MS-WCCE §2.2.2.7.7.4). Each returns a whole
 * Extension.
 */
import { bmp, bool, explicit, integer, octets, oid, seq, tlv } from './der.js';
import { encodeGeneralNames, encodeSidExtensionValue, type GeneralName } from './generalNames.js';
import { keyUsageValue, type KeyUsageBit } from './keyUsage.js';
import { OID } from './oids.js';

export function extension(id: string, critical: boolean, value: Uint8Array): Buffer {
  // X.690 §11.5: DEFAULT FALSE is omitted in DER.
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

/** RFC 5280 §4.2.1.3, critical (keyUsage.ts holds the bit table). */
export const keyUsageExtension = (usages: readonly KeyUsageBit[]) =>
  extension(OID.keyUsage, true, keyUsageValue(usages));

export const extKeyUsageExtension = (oids: readonly string[]) =>
  extension(OID.extKeyUsage, false, seq(...oids.map((o) => oid(o))));

/** RFC 5280 §4.2.1.9: pathLenConstraint only when cA is TRUE. */
export function basicConstraintsExtension(ca: boolean, pathLen?: number): Buffer {
  const body = ca ? seq(bool(true), ...(pathLen === undefined ? [] : [integer(pathLen)])) : seq();
  return extension(OID.basicConstraints, true, body);
}

export const subjectKeyIdentifierExtension = (keyId: Uint8Array) =>
  extension(OID.subjectKeyIdentifier, false, octets(keyId));

/** RFC 5280 §4.2.1.1: keyIdentifier [0] only. */
export const authorityKeyIdentifierExtension = (keyId: Uint8Array) =>
  extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, keyId)));

/** RFC 5280 §4.2.1.6: critical when the subject is empty. */
export const subjectAltNameExtension = (names: readonly GeneralName[], critical: boolean) =>
  extension(OID.subjectAltName, critical, encodeGeneralNames(names));

/** RFC 5280 §4.2.1.13: DistributionPoint { distributionPoint [0] { fullName [0] GeneralNames } } per URL. */
export function crlDistributionPointsValue(urls: readonly string[]): Buffer {
  return seq(...urls.map((u) => seq(explicit(0, tlv(0xa0, tlv(0x86, Buffer.from(u, 'ascii')))))));
}
export const crlDistributionPointsExtension = (urls: readonly string[]) =>
  extension(OID.cRLDistributionPoints, false, crlDistributionPointsValue(urls));

/** RFC 5280 §4.2.2.1. */
export function authorityInfoAccessExtension(a: { ocsp?: string; caIssuers?: string }): Buffer {
  const items: Buffer[] = [];
  if (a.caIssuers) items.push(seq(oid(OID.caIssuers), tlv(0x86, Buffer.from(a.caIssuers, 'ascii'))));
  if (a.ocsp) items.push(seq(oid(OID.ocsp), tlv(0x86, Buffer.from(a.ocsp, 'ascii'))));
  return extension(OID.authorityInfoAccess, false, seq(...items));
}

/** szOID_ENROLL_CERTTYPE_EXTENSION (1.3.6.1.4.1.311.20.2): the v1 template name as a BMPString. */
export const templateNameExtension = (name: string) => extension(OID.certificateTemplateName, false, bmp(name));

/** szOID_CERTIFICATE_TEMPLATE (1.3.6.1.4.1.311.21.7): SEQUENCE { templateID, majorVersion, minorVersion }. */
export const templateInfoExtension = (templateOid: string, major: number, minor: number) =>
  extension(OID.certificateTemplate, false, seq(oid(templateOid), integer(major), integer(minor)));

/** szOID_APPLICATION_CERT_POLICIES (1.3.6.1.4.1.311.21.10), certificatePolicies syntax. */
export const applicationPoliciesExtension = (oids: readonly string[]) =>
  extension(OID.applicationPolicies, false, seq(...oids.map((o) => seq(oid(o)))));

/** KB5014754 / MS-WCCE §2.2.2.7.7.4: the SID security extension, non-critical. */
export const sidExtension = (sid: string) => extension(OID.ntdsCaSecurityExt, false, encodeSidExtensionValue(sid));

/** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): NULL value. */
export const ocspNoCheckExtension = () => extension(OID.ocspNoCheck, false, Buffer.from([0x05, 0x00]));
