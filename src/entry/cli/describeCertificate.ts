/**
 * A certificate decoded for `tessera cert show`: the fields a smart card logon relying
 * party looks at (subject, SAN with the UPN, the KB5014754 SID extension, EKUs, key
 * usage, template, validity, revocation pointers). The certificate is read by the one
 * strict reader, x509/certificate.ts; only the Microsoft template extensions, which that
 * reader carries as raw values, are decoded here with @peculiar/asn1-x509-microsoft.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateTemplate, EnrollCertTypeChoice } from '@peculiar/asn1-x509-microsoft';
import { distributionPointUrls, readCertificate } from '../../x509/certificate.js';
import { children, read, readTlv } from '../../x509/der.js';
import type { GeneralName } from '../../x509/generalNames.js';
import { KEY_USAGE_BITS } from '../../x509/keyUsage.js';
import { decodeName, formatName } from '../../x509/name.js';
import { OID } from '../../x509/oids.js';
import { describeKey } from '../../x509/publicKey.js';
import { ekuName } from './describeTemplate.js';

export interface CertificateDescription {
  readonly serial: string;
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: string;
  readonly signatureAlgorithm: string;
  readonly sha256: string;
  readonly subjectAltNames: string[];
  readonly upn: string | null;
  readonly sid: string | null;
  readonly ekus: string[];
  readonly keyUsage: string[];
  readonly keyUsageCritical: boolean;
  readonly basicConstraints: string | null;
  readonly template: string | null;
  /** Microsoft application policies (1.3.6.1.4.1.311.21.10), written for v2 templates. */
  readonly applicationPolicies: string[];
  readonly crlDistributionPoints: string[];
  readonly authorityInfoAccess: string[];
  /** Extensions not decoded above, by OID. */
  readonly otherExtensions: string[];
}

/** An algorithm OID by its RFC name (x509/oids.ts keys follow the defining documents). */
const oidName = (oid: string): string => Object.entries(OID).find(([, v]) => v === oid)?.[0] ?? oid;

/** The label each text-valued alternative name is printed with, as `LABEL:value`. */
const NAME_LABELS = { upn: 'UPN', email: 'email', dns: 'DNS', uri: 'URI', sid: 'SID', ip: 'IP' } as const;

function formatGeneralName(n: GeneralName): string {
  if (n.type === 'dn') return `DirName:${formatName(decodeName(n.value))}`;
  if (n.type === 'other') return `otherName:${n.oid}`;
  return `${NAME_LABELS[n.type]}:${n.value}`;
}

/**
 * The templateID of a v2 template extension in dotted form. Its arcs may exceed 2^53
 * (2.25.<UUID>, X.667, as `template create` assigns), which the schema library prints
 * as hex; x509/der.ts decodes such arcs exactly.
 */
function templateOid(value: Uint8Array): string {
  return read.oid(value, children(value, readTlv(value, 0, value.length))[0]);
}

/** Extensions shown in their own rows, so not listed again under "Other extensions". */
const SHOWN = new Set<string>([
  OID.subjectAltName,
  OID.ntdsCaSecurityExt,
  OID.extKeyUsage,
  OID.keyUsage,
  OID.basicConstraints,
  OID.certificateTemplate,
  OID.certificateTemplateName,
  OID.applicationPolicies,
  OID.cRLDistributionPoints,
  OID.authorityInfoAccess,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
]);

function templateName(extensions: ReadonlyMap<string, { value: Buffer }>): string | null {
  const v2 = extensions.get(OID.certificateTemplate)?.value;
  if (v2) {
    const ct = AsnConvert.parse(v2, CertificateTemplate);
    return `${templateOid(v2)} v${ct.templateMajorVersion}.${ct.templateMinorVersion}`;
  }
  const v1 = extensions.get(OID.certificateTemplateName)?.value;
  return v1 ? AsnConvert.parse(v1, EnrollCertTypeChoice).toString() : null;
}

export function describeCertificate(der: Buffer): CertificateDescription {
  // An issued certificate may carry a critical extension this reader does not know: show it, do not refuse it.
  const c = readCertificate(der, { unknownCritical: 'record' });
  const ku = c.extensions.get(OID.keyUsage);
  const bc = c.basicConstraints;
  const cdp = c.extensions.get(OID.cRLDistributionPoints)?.value;
  return {
    serial: c.serial,
    subject: c.subjectText,
    issuer: c.issuerText,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    publicKey: describeKey(c.key),
    signatureAlgorithm: oidName(
      read.oid(
        c.signatureAlgorithm,
        children(c.signatureAlgorithm, readTlv(c.signatureAlgorithm, 0, c.signatureAlgorithm.length))[0],
      ),
    ),
    sha256: c.fingerprint.toUpperCase(),
    subjectAltNames: c.subjectAltNames.map(formatGeneralName),
    upn: c.upns[0] ?? null,
    // KB5014754: the SID that makes the certificate-to-account mapping strong.
    sid: c.sidExtension ?? null,
    ekus: (c.extKeyUsage ?? []).map(ekuName),
    keyUsage: KEY_USAGE_BITS.filter((b) => c.keyUsage?.has(b)),
    keyUsageCritical: ku?.critical ?? false,
    basicConstraints: bc
      ? bc.ca
        ? `CA${bc.pathLen !== undefined ? `, pathlen ${bc.pathLen}` : ''}`
        : 'end entity'
      : null,
    template: templateName(c.extensions),
    applicationPolicies: (c.applicationPolicies ?? []).map(ekuName),
    crlDistributionPoints: cdp ? distributionPointUrls(cdp) : [],
    authorityInfoAccess: [...c.ocspUrls.map((u) => `OCSP: ${u}`), ...c.caIssuersUrls.map((u) => `CA Issuers: ${u}`)],
    otherExtensions: [...c.extensions.entries()]
      .filter(([oid]) => !SHOWN.has(oid))
      .map(([oid, e]) => `${oid}${e.critical ? ' (critical)' : ''}`),
  };
}
