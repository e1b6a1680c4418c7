/**
 * Lint the bytes that are signed (Boulder lints the real certificate before signing,
 * issuance/issuance.go): lintCertificate.ts checks the profile before encoding; this reads
 * the encoded TBSCertificate back with the one strict certificate reader
 * (x509/certificate.ts `readTbsCertificate`) and compares what it says with what the
 * profile asked for — version, serial, signature algorithm, issuer, validity, subject,
 * key, and every extension with its criticality, nothing missing and nothing extra. An
 * encoder bug therefore never reaches the signer.
 */
import { attributeOid, type NameAttribute } from '../x509/name.js';
import { children, read, readTlv, TAG } from '../x509/der.js';
import type { GeneralName } from '../x509/generalNames.js';
import { ipAddressOctets } from '../x509/generalNames.js';
import { readTbsCertificate, type TbsCertificate } from '../x509/certificate.js';
import { OID } from '../x509/oids.js';
import { keyIdentifier } from '../x509/publicKey.js';
import type { CaCertificate } from './CaCertificate.js';
import type { CaUrls } from './CertificateAuthority.js';
import type { IssuanceProfile } from './IssuanceProfile.js';

export interface SignedBytesContext {
  readonly issuer: CaCertificate;
  readonly signatureAlgorithm: Buffer;
  /** The serial's unsigned magnitude (no sign octet). */
  readonly serial: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly urls: CaUrls;
}

/** The problems of `tbs` against the profile; empty when the bytes say exactly what was asked. */
export function lintTbs(tbs: Buffer, p: IssuanceProfile, c: SignedBytesContext): string[] {
  let t: TbsCertificate;
  try {
    t = readTbsCertificate(tbs);
  } catch (e) {
    return [`the TBSCertificate does not read back: ${(e as { detail?: string }).detail ?? (e as Error).message}`];
  }
  const problems: string[] = [];
  const want = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  const iso = (d: Date) => d.toISOString();
  const serial = c.serial.toString('hex');
  want(t.version === 3, `version is v${t.version}, not v3`);
  want(t.serial === serial, `serial reads ${t.serial}, not ${serial}`);
  want(t.tbsSignatureAlgorithm.equals(c.signatureAlgorithm), 'signature algorithm is not the CA key’s');
  want(t.issuer.equals(c.issuer.subjectDer), `issuer reads ${t.issuerText}, not ${c.issuer.subject}`);
  want(t.notBefore.getTime() === c.notBefore.getTime(), `notBefore reads ${iso(t.notBefore)}, not ${iso(c.notBefore)}`);
  want(t.notAfter.getTime() === c.notAfter.getTime(), `notAfter reads ${iso(t.notAfter)}, not ${iso(c.notAfter)}`);
  want(sameNames(t.subjectAttributes, p.subject), `subject reads ${t.subjectText}`);
  want(t.spki.equals(p.spki), 'subjectPublicKeyInfo is not the request’s key');

  // Every extension the profile asks for, with its criticality (CertificateAuthority.prepare, docs/issuance.md 5d).
  const expected = new Map<string, { critical: boolean; holds: () => boolean }>();
  const ask = (id: string, critical: boolean, holds: () => boolean) => expected.set(id, { critical, holds });
  const tmpl = p.template;
  const ocsp = c.urls.ocsp ? [c.urls.ocsp] : [];
  ask(OID.keyUsage, true, () => sameSet(t.keyUsage, p.keyUsage));
  ask(OID.extKeyUsage, false, () => sameList(t.extKeyUsage, p.ekus));
  if (p.applicationPolicies) ask(OID.applicationPolicies, false, () => sameList(t.applicationPolicies, p.ekus));
  if (tmpl.schemaVersion === 2 && tmpl.oid !== null) {
    const id = tmpl.oid;
    const info = () => templateInfoIs(ext(t, OID.certificateTemplate), id, tmpl.majorVersion, tmpl.minorVersion);
    ask(OID.certificateTemplate, false, info);
  } else {
    ask(OID.certificateTemplateName, false, () => bmpIs(ext(t, OID.certificateTemplateName), tmpl.name));
  }
  // RFC 5280 §4.2.1.6: critical when the subject is empty.
  if (p.san.length) ask(OID.subjectAltName, p.subject.length === 0, () => sameGeneralNames(t.subjectAltNames, p.san));
  ask(OID.subjectKeyIdentifier, false, () => !!t.subjectKeyId?.equals(keyIdentifier(p.spki)));
  ask(OID.authorityKeyIdentifier, false, () => !!t.authorityKeyId?.equals(c.issuer.keyId));
  const crl = c.urls.crl;
  ask(OID.cRLDistributionPoints, false, () => sameList(t.crlUrls, crl) && t.distributionPoints.length === crl.length);
  const caIssuers = [c.urls.caIssuers];
  ask(OID.authorityInfoAccess, false, () => sameList(t.caIssuersUrls, caIssuers) && sameList(t.ocspUrls, ocsp));
  if (p.sid) ask(OID.ntdsCaSecurityExt, false, () => t.sidExtension === p.sid);
  if (p.ocspNoCheck) ask(OID.ocspNoCheck, false, () => t.ocspNoCheck);
  ask(OID.basicConstraints, true, () => t.basicConstraints?.ca === false && t.basicConstraints.pathLen === undefined);

  for (const [id, e] of expected) {
    const got = t.extensions.get(id);
    if (!got) problems.push(`extension ${id} is missing`);
    else if (got.critical !== e.critical) problems.push(`extension ${id} is ${got.critical ? '' : 'not '}critical`);
    else if (!holds(e.holds)) problems.push(`extension ${id} does not say what the profile asked for`);
  }
  for (const id of t.extensions.keys()) if (!expected.has(id)) problems.push(`extension ${id} was not asked for`);
  return problems;
}

function holds(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false; // a value the checks cannot even read does not say what was asked
  }
}

const ext = (t: TbsCertificate, id: string): Buffer | undefined => t.extensions.get(id)?.value;

function sameList(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return !!a && a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameSet(a: ReadonlySet<string> | undefined, b: readonly string[]): boolean {
  return !!a && a.size === new Set(b).size && b.every((x) => a.has(x));
}

function sameNames(a: readonly NameAttribute[], b: readonly NameAttribute[]): boolean {
  const same = (x: NameAttribute, y: NameAttribute) =>
    attributeOid(x.type) === attributeOid(y.type) && x.value === y.value;
  return a.length === b.length && a.every((x, i) => same(x, b[i]));
}

function sameGeneralNames(a: readonly GeneralName[], b: readonly GeneralName[]): boolean {
  return a.length === b.length && a.every((x, i) => sameGeneralName(x, b[i]));
}

function sameGeneralName(a: GeneralName, b: GeneralName): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'ip') return ipAddressOctets(a.value).equals(ipAddressOctets(b.value as string));
  if (a.type === 'other') return b.type === 'other' && a.oid === b.oid && a.value.equals(b.value);
  if (a.type === 'dn') return Buffer.isBuffer(b.value) && a.value.equals(b.value);
  return a.value === b.value;
}

/** szOID_ENROLL_CERTTYPE_EXTENSION: the template name as a BMPString. */
function bmpIs(v: Buffer | undefined, name: string): boolean {
  if (!v) return false;
  const top = readTlv(v, 0, v.length);
  return top.tag === TAG.BMPString && top.end === v.length && read.string(v, top) === name;
}

/** szOID_CERTIFICATE_TEMPLATE: SEQUENCE { templateID, templateMajorVersion, templateMinorVersion }. */
function templateInfoIs(v: Buffer | undefined, id: string, major: number, minor: number): boolean {
  if (!v) return false;
  const top = readTlv(v, 0, v.length);
  if (top.tag !== TAG.SEQUENCE || top.end !== v.length) return false;
  const [o, ma, mi, ...rest] = children(v, top);
  if (!o || !ma || !mi || rest.length) return false;
  return read.oid(v, o) === id && read.smallInt(v, ma) === major && read.smallInt(v, mi) === minor;
}
