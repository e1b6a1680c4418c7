/**
 * The names in a certificate. For every directory-sourced template they are built from
 * the directory record of the subject — never from the request (ESC1, ESC6, ESC9,
 * docs/security.md §1). A request that asks for a name belonging
 * to someone else is denied; one that asks for the subject's own names, or carries a
 * subject DN or extensions the profile does not take, is issued with the directory's
 * names and the ignored parts are noted for the audit trail.
 */
import { TesseraError } from '../errors/TesseraError.js';
import type { Template } from '../template/Template.js';
import { decodeGeneralNames, decodeSidExtensionValue, SID_URI_PREFIX, type GeneralName } from '../x509/generalNames.js';
import { formatName, parseName, type NameAttribute } from '../x509/name.js';
import { OID } from '../x509/oids.js';
import { parseHostName, type HostName } from './parseHostName.js';
import type { PolicyInput } from './PolicyInput.js';
import { PolicyDenial } from './PolicyDenial.js';

export interface NameResult {
  readonly subject: readonly NameAttribute[];
  readonly san: readonly GeneralName[];
  readonly sid: string | null;
  readonly subjectUser: string | null;
}

/** Extensions a request may carry that Tessera ignores without comment. */
const BENIGN = new Set([
  OID.subjectKeyIdentifier,
  OID.certificateTemplateName,
  OID.certificateTemplate,
  OID.keyUsage,
  '1.2.840.113549.1.9.15', // S/MIME capabilities
]);

export function buildNames(input: PolicyInput, t: Template, notes: string[]): NameResult {
  const requested = requestedNames(input);
  noteIgnoredExtensions(input, notes);
  return t.subjectName.source === 'directory'
    ? fromDirectory(input, t, requested, notes)
    : fromRequest(input, t, requested, notes);
}

interface RequestedNames {
  readonly san: readonly GeneralName[];
  readonly sid: string | null;
}

function requestedNames(input: PolicyInput): RequestedNames {
  const exts = input.request.csr.extensions;
  let san: GeneralName[] = [];
  let sid: string | null = null;
  try {
    const sanExt = exts.find((e) => e.oid === OID.subjectAltName);
    if (sanExt) san = decodeGeneralNames(sanExt.value);
    const sidExt = exts.find((e) => e.oid === OID.ntdsCaSecurityExt);
    if (sidExt) sid = decodeSidExtensionValue(sidExt.value);
  } catch (e) {
    if (e instanceof TesseraError) throw new PolicyDenial(e.code, e.detail ?? e.message);
    throw e;
  }
  return { san, sid };
}

function noteIgnoredExtensions(input: PolicyInput, notes: string[]): void {
  // ESC15 (CVE-2024-49019), docs/security.md §1.4: requested EKUs, application policies,
  // basic constraints, certificate policies or name constraints never reach the certificate.
  const dropped = input.request.csr.extensions.filter(
    (e) => e.oid !== OID.subjectAltName && e.oid !== OID.ntdsCaSecurityExt && !BENIGN.has(e.oid),
  );
  if (dropped.length)
    notes.push(`requested extensions not copied into the certificate: ${dropped.map((e) => e.oid).join(', ')}`);
}

const same = (a: string | null, b: string | null) => a !== null && b !== null && a.toLowerCase() === b.toLowerCase();

function fromDirectory(input: PolicyInput, t: Template, requested: RequestedNames, notes: string[]): NameResult {
  const user = input.subject;
  // The names the directory vouches for; anything else the request asks for is refused.
  for (const n of requested.san) {
    const own =
      (n.type === 'upn' && same(n.value, user.upn)) ||
      (n.type === 'email' && same(n.value, user.email)) ||
      (n.type === 'sid' && n.value === user.sid) ||
      (n.type === 'uri' && n.value === SID_URI_PREFIX + user.sid);
    if (!own) {
      const shown = n.type === 'dn' || n.type === 'other' ? n.type : `${n.type}:${n.value}`;
      throw new PolicyDenial(
        'NAME_NOT_ALLOWED',
        `the request asks for ${shown}, which is not ${user.username}'s in the directory`,
      );
    }
  }
  if (requested.sid !== null && requested.sid !== user.sid) {
    throw new PolicyDenial(
      'NAME_NOT_ALLOWED',
      `the request carries SID ${requested.sid}, which is not ${user.username}'s`,
    );
  }
  if (requested.san.length || requested.sid)
    notes.push(
      'requested subject alternative names / SID match the directory; the certificate uses the directory values',
    );
  if (input.request.csr.subject.length)
    notes.push(
      `request subject "${formatName(input.request.csr.subject)}" ignored; the subject is built from the directory`,
    );
  if (input.attributes.san !== undefined)
    notes.push(
      `SAN request attribute "${input.attributes.san}" ignored: ${t.name} takes names from the directory (ESC6)`,
    );

  const needEmail = t.san.email || t.subjectName.includeEmail;
  if (t.san.upn && !user.upn) throw new PolicyDenial('DIRECTORY_UPN_MISSING', user.username);
  if (needEmail && !user.email) throw new PolicyDenial('DIRECTORY_EMAIL_MISSING', user.username);
  if ((t.includeSid || t.san.sidUri) && !user.sid) throw new PolicyDenial('DIRECTORY_SID_MISSING', user.username);
  // Certifried (CVE-2022-26923), docs/security.md §1.5: a name identifies one account only.
  const others = (owners: readonly { username: string }[]) =>
    owners.some((o) => o.username.toLowerCase() !== user.username.toLowerCase());
  if (t.san.upn && others(input.nameOwners.upn))
    throw new PolicyDenial('NAME_NOT_UNIQUE', `UPN ${user.upn} is also held by another account`);
  if (needEmail && others(input.nameOwners.email))
    throw new PolicyDenial('NAME_NOT_UNIQUE', `e-mail ${user.email} is also held by another account`);

  let subject: NameAttribute[] = [];
  if (t.subjectName.format === 'fullDn') {
    try {
      subject = parseName(user.dn);
    } catch {
      throw new PolicyDenial('INPUT_INVALID', `directory DN of ${user.username} cannot be parsed: ${user.dn}`);
    }
  } else if (t.subjectName.format === 'commonName')
    subject = [{ type: 'CN', value: user.displayName || user.username }];
  if (t.subjectName.format !== 'none' && t.subjectName.includeEmail && user.email)
    subject.push({ type: 'E', value: user.email });

  const san: GeneralName[] = [];
  if (t.san.upn && user.upn) san.push({ type: 'upn', value: user.upn });
  if (t.san.email && user.email) san.push({ type: 'email', value: user.email });
  if (t.san.sidUri && user.sid) san.push({ type: 'uri', value: SID_URI_PREFIX + user.sid });
  return { subject, san, sid: t.includeSid ? user.sid : null, subjectUser: user.username };
}

/**
 * Templates whose names come from the request (validateTemplate allows 'request' only
 * with manager approval, and in schema version 1 only for server authentication): the CN,
 * DNS names and IP addresses come from the request, each checked by parseHostName. For a
 * Server Authentication template the CN must itself be a host name, and it is carried in
 * the SAN as well (CA/B Baseline Requirements §7.1.4.2; RFC 6125 §6.4.4: clients match the
 * SAN and look at the CN only without one).
 */
function fromRequest(input: PolicyInput, t: Template, requested: RequestedNames, notes: string[]): NameResult {
  const server = t.ekus.includes(OID.serverAuth);
  const host = (text: string, where: string, ip: boolean): HostName =>
    parseHostName(text, { where, ip, wildcard: t.san.dnsWildcard, template: t.name });
  const names: HostName[] = [];
  for (const n of requested.san) {
    if (n.type === 'dns') names.push(host(n.value, 'SAN dNSName', false));
    else if (n.type === 'ip') names.push(host(ipText(n.value), 'SAN iPAddress', true));
    else throw new PolicyDenial('NAME_NOT_ALLOWED', `${t.name} accepts only DNS names and IP addresses, not ${n.type}`);
  }
  const attr = input.attributes.san;
  if (attr !== undefined) {
    for (const part of attr.split('&')) {
      const [k, v] = part.split('=');
      const kind = k?.trim().toLowerCase();
      // The certreq / certsrv SAN attribute: "dns=host&ipaddress=192.0.2.1" (URL-encoded values).
      if ((kind !== 'dns' && kind !== 'ipaddress') || !v)
        throw new PolicyDenial('NAME_NOT_ALLOWED', `SAN attribute entry "${part}" is not a DNS name or IP address`);
      names.push(host(decodeURIComponent(v.trim()), `SAN attribute ${kind}`, kind === 'ipaddress'));
    }
  }
  if (requested.sid) throw new PolicyDenial('NAME_NOT_ALLOWED', 'a SID cannot be requested');
  const cn = input.request.csr.subject.find((a) => a.type === 'CN')?.value;
  let subject: NameAttribute[] = [];
  if (cn !== undefined && server) {
    // Not a person's or a role's name ("CN=CA Administrator"): a host the SAN names too.
    const name = host(cn, 'common name', true);
    names.unshift(name);
    if (t.subjectName.format !== 'none') subject = [{ type: 'CN', value: name.value }];
  } else if (cn !== undefined && t.subjectName.format !== 'none') {
    subject = [{ type: 'CN', value: cn }];
  }
  if (!subject.length && !names.length) throw new PolicyDenial('NAME_NOT_ALLOWED', 'the request names no host');
  const dropped = input.request.csr.subject.filter((a) => a.type !== 'CN');
  if (dropped.length) notes.push(`subject attributes other than CN ignored: ${formatName(dropped)}`);
  const seen = new Set<string>();
  const san = names.filter((n) => !seen.has(`${n.type}:${n.value}`) && seen.add(`${n.type}:${n.value}`));
  return { subject, san, sid: null, subjectUser: null };
}

/** An iPAddress as generalNames.ts decodes it (dotted IPv4, or 32 hex digits for IPv6) in text form. */
function ipText(decoded: string): string {
  if (/^[0-9a-f]{32}$/.test(decoded)) return decoded.match(/.{4}/g)!.join(':');
  return decoded;
}
