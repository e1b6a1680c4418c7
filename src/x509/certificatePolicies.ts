/**
 * The policy extensions of RFC 5280, decoded for path validation (§6.1):
 *
 *   certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation                §4.2.1.4
 *   PolicyInformation ::= SEQUENCE { policyIdentifier CertPolicyId, policyQualifiers SEQUENCE OF … OPTIONAL }
 *   PolicyMappings ::= SEQUENCE SIZE (1..MAX) OF SEQUENCE {                             §4.2.1.5
 *       issuerDomainPolicy CertPolicyId, subjectDomainPolicy CertPolicyId }
 *   PolicyConstraints ::= SEQUENCE { requireExplicitPolicy [0] SkipCerts OPTIONAL,      §4.2.1.11
 *       inhibitPolicyMapping [1] SkipCerts OPTIONAL }
 *   InhibitAnyPolicy ::= SkipCerts                                                      §4.2.1.14
 *   SkipCerts ::= INTEGER (0..MAX)
 *
 * Qualifiers are not interpreted (§4.2.1.4 lets a relying party ignore them).
 */
import { TesseraError } from '../errors/TesseraError.js';
import { children, read, readTlv, TAG } from './der.js';

function bad(detail: string): never {
  throw new TesseraError('REQUEST_MALFORMED', detail);
}

function top(v: Uint8Array, what: string) {
  const t = readTlv(v, 0, v.length);
  if (t.tag !== TAG.SEQUENCE || t.end !== v.length) bad(`${what} is not a SEQUENCE`);
  return t;
}

function skipCerts(v: Uint8Array, t: ReturnType<typeof readTlv>, what: string): number {
  const c = read.bytes(v, t);
  if (c.length === 0) bad(`${what} is empty`);
  if (c[0] & 0x80) bad(`${what} is negative`);
  // Anything beyond a path length is "never": clamp rather than overflow.
  return c.length > 4 ? 0x7fffffff : Math.min(Number(read.smallInt(v, t)), 0x7fffffff);
}

/** The policy identifiers of certificatePolicies, each once (§4.2.1.4: "MUST NOT appear more than once"). */
export function decodeCertificatePolicies(v: Uint8Array): string[] {
  const items = children(v, top(v, 'certificatePolicies'));
  if (items.length === 0) bad('empty certificatePolicies');
  const out: string[] = [];
  for (const p of items) {
    const parts = p.tag === TAG.SEQUENCE ? children(v, p) : [];
    if (parts.length < 1 || parts.length > 2 || (parts[1] && parts[1].tag !== TAG.SEQUENCE))
      bad('PolicyInformation is not { policyIdentifier, policyQualifiers }');
    const id = read.oid(v, parts[0]);
    if (out.includes(id)) bad(`certificate policy ${id} appears twice`);
    out.push(id);
  }
  return out;
}

export interface PolicyMapping {
  readonly issuerDomainPolicy: string;
  readonly subjectDomainPolicy: string;
}

export function decodePolicyMappings(v: Uint8Array): PolicyMapping[] {
  const items = children(v, top(v, 'policyMappings'));
  if (items.length === 0) bad('empty policyMappings');
  return items.map((m) => {
    const parts = m.tag === TAG.SEQUENCE ? children(v, m) : [];
    if (parts.length !== 2) bad('a policy mapping is not { issuerDomainPolicy, subjectDomainPolicy }');
    return { issuerDomainPolicy: read.oid(v, parts[0]), subjectDomainPolicy: read.oid(v, parts[1]) };
  });
}

export interface PolicyConstraints {
  readonly requireExplicitPolicy?: number;
  readonly inhibitPolicyMapping?: number;
}

export function decodePolicyConstraints(v: Uint8Array): PolicyConstraints {
  const parts = children(v, top(v, 'policyConstraints'));
  // §4.2.1.11: "Conforming CAs MUST NOT issue certificates where policy constraints is an empty sequence."
  if (parts.length === 0) bad('empty policyConstraints');
  const out: { requireExplicitPolicy?: number; inhibitPolicyMapping?: number } = {};
  let last = -1;
  for (const p of parts) {
    const n = p.tag === 0x80 ? 0 : p.tag === 0x81 ? 1 : bad('unexpected field in policyConstraints');
    if (n <= last) bad('policyConstraints fields out of order');
    last = n;
    // [n] IMPLICIT INTEGER: read the contents as an INTEGER.
    const asInt = { ...p, tag: TAG.INTEGER };
    if (n === 0) out.requireExplicitPolicy = skipCerts(v, asInt, 'requireExplicitPolicy');
    else out.inhibitPolicyMapping = skipCerts(v, asInt, 'inhibitPolicyMapping');
  }
  return out;
}

export function decodeInhibitAnyPolicy(v: Uint8Array): number {
  const t = readTlv(v, 0, v.length);
  if (t.tag !== TAG.INTEGER || t.end !== v.length) bad('inhibitAnyPolicy is not an INTEGER');
  return skipCerts(v, t, 'inhibitAnyPolicy');
}
