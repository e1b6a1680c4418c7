/**
 * A certificate decoded for `tessera cert show`: the fields a smart card logon relying
 * party looks at (subject, SAN with the UPN, the KB5014754 SID extension, EKUs, key
 * usage, template, validity, revocation pointers). The X.509 structure is read with the
 * @peculiar/asn1-x509 schema classes; the Microsoft names (UPN otherName, SID) with
 * Tessera's own x509/generalNames.ts, the same code that writes them.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax,
  BasicConstraints,
  Certificate,
  CRLDistributionPoints,
  ExtendedKeyUsage,
  KeyUsage,
  type GeneralName as AsnGeneralName,
} from '@peculiar/asn1-x509';
import { CertificateApplicationPolicies, CertificateTemplate, EnrollCertTypeChoice } from '@peculiar/asn1-x509-microsoft';
import { children, read, readTlv } from '../../x509/der.js';
import { decodeGeneralNames, decodeSidExtensionValue, type GeneralName } from '../../x509/generalNames.js';
import { decodeName, formatName } from '../../x509/name.js';
import { OID } from '../../x509/oids.js';
import { decodeSpki, describeKey } from '../../x509/publicKey.js';
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

function formatGeneralName(n: GeneralName): string {
  switch (n.type) {
    case 'upn':
      return `UPN:${n.value}`;
    case 'email':
      return `email:${n.value}`;
    case 'dns':
      return `DNS:${n.value}`;
    case 'uri':
      return `URI:${n.value}`;
    case 'sid':
      return `SID:${n.value}`;
    case 'ip':
      return `IP:${n.value}`;
    case 'dn':
      return `DirName:${formatName(decodeName(n.value))}`;
    case 'other':
      return `otherName:${n.oid}`;
  }
}

/**
 * The templateID of a v2 template extension in dotted form. Its arcs may exceed 2^53
 * (2.25.<UUID>, X.667, as `template create` assigns), which the schema library prints
 * as hex; x509/der.ts decodes such arcs exactly.
 */
function templateOid(value: Uint8Array): string {
  return read.oid(value, children(value, readTlv(value, 0, value.length))[0]);
}

function uri(g: AsnGeneralName): string {
  return g.uniformResourceIdentifier ?? '(not a URI)';
}

export function describeCertificate(der: Buffer): CertificateDescription {
  const node = new X509Certificate(der);
  const cert = AsnConvert.parse(der, Certificate);
  const tbs = cert.tbsCertificate;
  const d = {
    subjectAltNames: [] as string[],
    upn: null as string | null,
    sid: null as string | null,
    ekus: [] as string[],
    keyUsage: [] as string[],
    keyUsageCritical: false,
    basicConstraints: null as string | null,
    template: null as string | null,
    applicationPolicies: [] as string[],
    crlDistributionPoints: [] as string[],
    authorityInfoAccess: [] as string[],
    otherExtensions: [] as string[],
  };
  for (const ext of tbs.extensions ?? []) {
    const value = Buffer.from(ext.extnValue.buffer);
    switch (ext.extnID) {
      case OID.subjectAltName: {
        const names = decodeGeneralNames(value);
        d.subjectAltNames = names.map(formatGeneralName);
        d.upn = (names.find((n) => n.type === 'upn')?.value as string | undefined) ?? null;
        break;
      }
      case OID.ntdsCaSecurityExt:
        // KB5014754: the SID that makes the certificate-to-account mapping strong.
        d.sid = decodeSidExtensionValue(value);
        break;
      case OID.extKeyUsage:
        d.ekus = [...AsnConvert.parse(value, ExtendedKeyUsage)].map(ekuName);
        break;
      case OID.keyUsage:
        d.keyUsage = AsnConvert.parse(value, KeyUsage).toJSON();
        d.keyUsageCritical = ext.critical;
        break;
      case OID.basicConstraints: {
        const bc = AsnConvert.parse(value, BasicConstraints);
        d.basicConstraints = bc.cA ? `CA${bc.pathLenConstraint !== undefined ? `, pathlen ${bc.pathLenConstraint}` : ''}` : 'end entity';
        break;
      }
      case OID.certificateTemplate: {
        const ct = AsnConvert.parse(value, CertificateTemplate);
        d.template = `${templateOid(value)} v${ct.templateMajorVersion}.${ct.templateMinorVersion}`;
        break;
      }
      case OID.applicationPolicies:
        d.applicationPolicies = AsnConvert.parse(value, CertificateApplicationPolicies).map((p) => ekuName(p.policyIdentifier));
        break;
      case OID.certificateTemplateName:
        d.template = AsnConvert.parse(value, EnrollCertTypeChoice).toString();
        break;
      case OID.cRLDistributionPoints:
        d.crlDistributionPoints = AsnConvert.parse(value, CRLDistributionPoints).flatMap((dp) => (dp.distributionPoint?.fullName ?? []).map(uri));
        break;
      case OID.authorityInfoAccess:
        d.authorityInfoAccess = AsnConvert.parse(value, AuthorityInfoAccessSyntax).map(
          (ad) => `${ad.accessMethod === OID.ocsp ? 'OCSP' : ad.accessMethod === OID.caIssuers ? 'CA Issuers' : ad.accessMethod}: ${uri(ad.accessLocation)}`,
        );
        break;
      case OID.subjectKeyIdentifier:
      case OID.authorityKeyIdentifier:
        break;
      default:
        d.otherExtensions.push(`${ext.extnID}${ext.critical ? ' (critical)' : ''}`);
    }
  }
  return {
    serial: node.serialNumber.toLowerCase(),
    subject: formatName(decodeName(new Uint8Array(AsnConvert.serialize(tbs.subject)))),
    issuer: formatName(decodeName(new Uint8Array(AsnConvert.serialize(tbs.issuer)))),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    publicKey: describeKey(decodeSpki(node.publicKey.export({ format: 'der', type: 'spki' }))),
    signatureAlgorithm: oidName(cert.signatureAlgorithm.algorithm),
    sha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
    ...d,
  };
}
