/**
 * A template in words for `tessera template show`: the AD CS template properties an
 * administrator checks (MS-CRTD names in parentheses where they help).
 */
import type { Template } from '../../template/Template.js';
import { EKU_NAMES } from '../../x509/oids.js';

export const ekuName = (oid: string): string => (EKU_NAMES[oid] ? `${EKU_NAMES[oid]} (${oid})` : oid);

export function describeTemplate(t: Template): [string, unknown][] {
  const ka = t.keyAlgorithms;
  const rsaExponent = ka.rsaPublicExponent === 'odd' ? 'odd exponent ≤ 2^256 − 1' : 'exponent 65537';
  const keys = [
    ...(ka.rsaMinBits !== null ? [`RSA ${ka.rsaMinBits}–${ka.rsaMaxBits} bits (${rsaExponent})`] : []),
    ...(ka.ecCurves.length ? [`ECDSA ${ka.ecCurves.join('/')}`] : []),
  ];
  const sn = t.subjectName;
  const subject =
    sn.source === 'request'
      ? `supplied in the request (${sn.format}), checked by a certificate manager`
      : 'from the directory: ' +
        `${
          sn.format === 'fullDn'
            ? 'fully distinguished name'
            : sn.format === 'commonName'
              ? 'common name'
              : 'none (SAN only)'
        }` +
        `${sn.includeEmail ? ' + e-mail' : ''}`;
  const san = [
    ...(t.san.upn ? ['UPN (otherName 1.3.6.1.4.1.311.20.2.3)'] : []),
    ...(t.san.email ? ['e-mail (rfc822Name)'] : []),
    ...(t.san.dns ? [`DNS names from the request${t.san.dnsWildcard ? ', wildcards allowed' : ''}`] : []),
    ...(t.san.sidUri ? ['SID URI (tag:microsoft.com,2022-09-14:sid:…)'] : []),
  ];
  const iss = t.issuance;
  const requirements = [
    ...(iss.managerApproval ? ['certificate manager approval'] : []),
    ...(iss.agentSignatures > 0
      ? [`${iss.agentSignatures} enrollment agent signature(s) with policy ${iss.agentPolicy}`]
      : []),
  ];
  return [
    ['Name', t.name],
    ['Display name', t.displayName],
    [
      'Schema version',
      t.schemaVersion === 2
        ? '2 (template information extension 1.3.6.1.4.1.311.21.7)'
        : '1 (template name extension 1.3.6.1.4.1.311.20.2)',
    ],
    ['Template OID', t.oid ?? '(none)'],
    ['Version', `${t.majorVersion}.${t.minorVersion}`],
    ['Enabled', t.enabled ? 'yes' : 'no'],
    ['Validity', `${t.validityDays} days`],
    ['Renewal period', `${t.renewalDays} days`],
    ['Extended key usage', t.ekus.map(ekuName)],
    ['Key usage', `${t.keyUsage.join(', ')} (critical)`],
    [
      'Key spec',
      t.keySpec === 'exchange'
        ? 'Exchange (AT_KEYEXCHANGE)'
        : t.keySpec === 'signature'
          ? 'Signature (AT_SIGNATURE)'
          : 'Both',
    ],
    ['Key algorithms', keys],
    [
      'Providers',
      t.providers.length
        ? `${t.providers.join('; ')}${t.enforceProviders ? ' (enforced)' : ' (informational)'}`
        : '(any)',
    ],
    ['Subject name', subject],
    ['Subject alt. name', san.length ? san : '(none)'],
    ['SID extension', t.includeSid ? 'yes (1.3.6.1.4.1.311.25.2, KB5014754 strong mapping)' : 'no'],
    ['Issuance', requirements.length ? requirements : 'none (issued on submission)'],
    ['Enroll', t.enroll.length ? t.enroll : '(nobody)'],
  ];
}
