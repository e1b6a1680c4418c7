/**
 * Every template save goes through here, and so does every template loaded at start
 * (docs/development.md "Rules the code keeps" 3: refuse bad configuration). The rules that
 * matter most are the AD CS escalations a template can open (docs/security.md §2).
 */
import { TesseraError } from '../errors/TesseraError.js';
import { AUTHENTICATION_EKUS, OID } from '../x509/oids.js';
import { KEY_USAGES, RSA_PUBLIC_EXPONENT_RULES, type KeyUsageName, type Template } from './Template.js';
import { DEFAULT_RSA_MAX_BITS, RSA_MAX_BITS_LIMIT, withTemplateDefaults } from './withTemplateDefaults.js';

// Arcs up to 39 digits: X.667 2.25.<UUID> OIDs, which `template create` gives new
// templates, carry a 128-bit integer arc (der.ts oid() encodes arcs as BigInt).
const OID_RE = /^[0-2](\.(0|[1-9]\d{0,38}))+$/;
const CURVES = ['P-256', 'P-384', 'P-521'];

/** Problems with a template, each naming the field and the rule. Empty when valid. */
export function templateProblems(definition: Template): string[] {
  const t = withTemplateDefaults(definition);
  const p: string[] = [];
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(t.name))
    p.push('name: letters, digits, "_" and "-", starting with a letter, at most 64 characters');
  if (!t.displayName || t.displayName.length > 128 || /[<>]/.test(t.displayName))
    p.push('displayName: 1–128 characters, without < or >');
  if (t.schemaVersion !== 1 && t.schemaVersion !== 2) p.push('schemaVersion: 1 or 2');
  if (t.schemaVersion === 2 && (!t.oid || !OID_RE.test(t.oid)))
    p.push('oid: a schema version 2 template needs its template OID');
  if (t.oid !== null && !OID_RE.test(t.oid)) p.push('oid: not a dotted object identifier');
  if (
    !Number.isInteger(t.majorVersion) ||
    t.majorVersion < 0 ||
    !Number.isInteger(t.minorVersion) ||
    t.minorVersion < 0
  )
    p.push('majorVersion/minorVersion: non-negative integers');
  if (!Number.isInteger(t.validityDays) || t.validityDays < 1 || t.validityDays > 3650)
    p.push('validityDays: 1 to 3650');
  if (!Number.isInteger(t.renewalDays) || t.renewalDays < 0 || t.renewalDays >= t.validityDays)
    p.push('renewalDays: at least 0 and less than validityDays');

  // ESC2: an end-entity template always names its purposes, and never "any purpose".
  if (!Array.isArray(t.ekus) || t.ekus.length === 0)
    p.push('ekus: an end-entity template must list at least one extended key usage (ESC2)');
  else {
    for (const e of t.ekus) if (!OID_RE.test(e)) p.push(`ekus: ${e} is not an object identifier`);
    if (t.ekus.includes(OID.anyExtendedKeyUsage)) p.push('ekus: Any Purpose (2.5.29.37.0) is not allowed (ESC2)');
    if (new Set(t.ekus).size !== t.ekus.length) p.push('ekus: listed twice');
  }
  if (!Array.isArray(t.keyUsage) || t.keyUsage.length === 0) p.push('keyUsage: at least one key usage');
  else
    for (const k of t.keyUsage)
      if (!KEY_USAGES.includes(k)) p.push(`keyUsage: ${k} is not one of ${KEY_USAGES.join(', ')}`);
  if (!['exchange', 'signature', 'both'].includes(t.keySpec)) p.push('keySpec: exchange, signature or both');

  const ku = new Set<KeyUsageName>(t.keyUsage ?? []);
  const ekus = new Set(t.ekus ?? []);
  const encipher = ku.has('keyEncipherment') || ku.has('keyAgreement') || ku.has('dataEncipherment');
  // Key spec and key usage must agree (docs/certsrv.md §8: Exchange = AT_KEYEXCHANGE, Signature = AT_SIGNATURE).
  if (t.keySpec === 'signature' && encipher)
    p.push('keyUsage/keySpec: a Signature key cannot have encipherment or key agreement usage');
  if (t.keySpec !== 'signature' && !encipher)
    p.push('keyUsage/keySpec: an Exchange key needs keyEncipherment or keyAgreement');
  // RFC 5280 §4.2.1.12: the key usage must be consistent with each purpose.
  const needsSignature = [
    OID.smartcardLogon,
    OID.clientAuth,
    OID.certificateRequestAgent,
    OID.OCSPSigning,
    OID.pkinitClientAuth,
  ];
  for (const e of needsSignature) {
    if (ekus.has(e) && !ku.has('digitalSignature'))
      p.push(`keyUsage: extended key usage ${e} requires digitalSignature`);
  }
  if (ekus.has(OID.serverAuth) && !ku.has('digitalSignature') && !encipher)
    p.push('keyUsage: server authentication requires digitalSignature or key encipherment');

  const ka = t.keyAlgorithms;
  if (!ka || (ka.rsaMinBits === null && (!ka.ecCurves || ka.ecCurves.length === 0)))
    p.push('keyAlgorithms: allow RSA, ECDSA or both');
  else {
    if (
      ka.rsaMinBits !== null &&
      (!Number.isInteger(ka.rsaMinBits) || ka.rsaMinBits < 2048 || ka.rsaMinBits > RSA_MAX_BITS_LIMIT)
    )
      p.push('keyAlgorithms.rsaMinBits: at least 2048 (or null to refuse RSA)');
    // The upper bound: a huge modulus costs every relying party that verifies with it and
    // buys nothing the template asked for; 16384 is the most OpenSSL verifies at all.
    if (!Number.isInteger(ka.rsaMaxBits) || ka.rsaMaxBits < 2048 || ka.rsaMaxBits > RSA_MAX_BITS_LIMIT)
      p.push(`keyAlgorithms.rsaMaxBits: 2048 to ${RSA_MAX_BITS_LIMIT} (default ${DEFAULT_RSA_MAX_BITS})`);
    else if (ka.rsaMinBits !== null && Number.isInteger(ka.rsaMinBits) && ka.rsaMaxBits < ka.rsaMinBits)
      p.push('keyAlgorithms.rsaMaxBits: at least keyAlgorithms.rsaMinBits');
    if (!RSA_PUBLIC_EXPONENT_RULES.includes(ka.rsaPublicExponent))
      p.push(
        'keyAlgorithms.rsaPublicExponent: "65537" (only F4, the ' +
          'default) or "odd" (any odd exponent from 3 to 2^256 − 1)',
      );
    for (const c of ka.ecCurves ?? [])
      if (!CURVES.includes(c)) p.push(`keyAlgorithms.ecCurves: ${c} is not one of ${CURVES.join(', ')}`);
  }
  if (!Array.isArray(t.providers)) p.push('providers: a list of provider names');
  if (t.enforceProviders && (!t.providers || t.providers.length === 0))
    p.push('enforceProviders: needs a non-empty providers list');

  const auth = t.ekus?.some((e) => AUTHENTICATION_EKUS.includes(e)) ?? false;
  const sn = t.subjectName;
  if (!sn || !['directory', 'request'].includes(sn.source) || !['none', 'commonName', 'fullDn'].includes(sn.format))
    p.push('subjectName: source directory|request, format none|commonName|fullDn');
  else if (sn.source === 'request') {
    // ESC1 / ESC15 / ESC17: names from the request only for server certificates, only
    // after a certificate manager has looked at them.
    if (auth) p.push('subjectName.source: names from the request are not allowed with an authentication EKU (ESC1)');
    if (ekus.has(OID.certificateRequestAgent))
      p.push('subjectName.source: names from the request are not allowed for enrollment agent certificates (ESC3)');
    if (!t.issuance?.managerApproval)
      p.push('subjectName.source: names from the request require certificate manager approval (ESC1, ESC17)');
    if (t.schemaVersion === 1 && !ekus.has(OID.serverAuth))
      p.push('subjectName.source: names from the request are only for server authentication templates');
    if (t.san?.upn || t.san?.email || t.san?.sidUri || t.includeSid)
      p.push('san/includeSid: directory identities cannot be combined with names from the request');
  } else if (t.san?.dns) {
    p.push('san.dns: DNS names come only from the request, so they need subjectName.source = request');
  }
  if (t.san?.dnsWildcard === true && sn?.source !== 'request')
    p.push('san.dnsWildcard: wildcards are names from the request, so they need subjectName.source = request');
  if (sn?.format === 'none' && !t.san?.upn && !t.san?.email && !t.san?.dns)
    p.push('subjectName.format none needs at least one subject alternative name');

  // ESC9 / ESC16 / KB5014754: every certificate that can authenticate a user carries the SID.
  if (auth && !t.includeSid)
    p.push(
      'includeSid: templates with Client Authentication or Smart ' +
        'Card Logon must include the SID extension (KB5014754, ESC9)',
    );
  if (ekus.has(OID.smartcardLogon) && !t.san?.upn)
    p.push('san.upn: Smart Card Logon certificates carry the UPN (learn.microsoft.com ff404293)');

  const iss = t.issuance;
  if (
    !iss ||
    typeof iss.managerApproval !== 'boolean' ||
    !Number.isInteger(iss.agentSignatures) ||
    iss.agentSignatures < 0 ||
    iss.agentSignatures > 3
  ) {
    p.push('issuance: managerApproval true|false, agentSignatures 0–3');
  } else if (iss.agentSignatures > 0 && (!iss.agentPolicy || !OID_RE.test(iss.agentPolicy))) {
    p.push('issuance.agentPolicy: required when agent signatures are required (e.g. 1.3.6.1.4.1.311.20.2.1)');
  }
  if (!Array.isArray(t.enroll) || t.enroll.some((g) => typeof g !== 'string' || g.trim() === ''))
    p.push('enroll: a list of group names');
  if (typeof t.enabled !== 'boolean') p.push('enabled: true or false');
  // Flags read as truthy/falsy elsewhere must be real booleans, or "false" (a string) would
  // switch a feature on and slip past the rules above.
  const flags: [string, unknown][] = [
    ['includeSid', t.includeSid],
    ['enforceProviders', t.enforceProviders],
    ['subjectName.includeEmail', t.subjectName?.includeEmail],
    ['san.upn', t.san?.upn],
    ['san.email', t.san?.email],
    ['san.dns', t.san?.dns],
    ['san.dnsWildcard', t.san?.dnsWildcard],
    ['san.sidUri', t.san?.sidUri],
  ];
  for (const [k, v] of flags) if (typeof v !== 'boolean') p.push(`${k}: true or false`);
  if (typeof t.displayName !== 'string') p.push('displayName: a string');
  return p;
}

/** Coerce unknown JSON into a Template and validate it, or throw TEMPLATE_INVALID naming every problem. */
export function validateTemplate(input: unknown): Template {
  if (!input || typeof input !== 'object') throw new TesseraError('TEMPLATE_INVALID', 'a template is a JSON object');
  const t = withTemplateDefaults(input as Template);
  let problems: string[];
  try {
    problems = templateProblems(t);
  } catch (e) {
    problems = [`structure: ${(e as Error).message}`];
  }
  if (problems.length) throw new TesseraError('TEMPLATE_INVALID', `${t.name ?? '(unnamed)'}: ${problems.join('; ')}`);
  return t;
}
