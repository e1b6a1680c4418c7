/**
 * Name constraints (RFC 5280 §4.2.1.10) and the names they apply to (§6.1.3 (b), (c)):
 *
 *   NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees OPTIONAL,
 *                                  excludedSubtrees  [1] GeneralSubtrees OPTIONAL }
 *   GeneralSubtree ::= SEQUENCE { base GeneralName, minimum [0] BaseDistance DEFAULT 0,
 *                                 maximum [1] BaseDistance OPTIONAL }
 *
 * Name forms processed: directoryName (RDN prefix under RFC 5280 §7.1 comparison),
 * rfc822Name (a mailbox, a host, or ".domain" for any host under it), dNSName (the name
 * or any name under it; a leading "." only names below), uniformResourceIdentifier (its
 * host, the same way as rfc822Name hosts), iPAddress (address and mask, IPv4 and IPv6),
 * and the Microsoft UPN otherName 1.3.6.1.4.1.311.20.2.3, matched like an rfc822Name
 * ("user@corp.example" exactly, "corp.example" or "@corp.example" for that domain,
 * ".corp.example" for any domain under it; case-insensitive, as Windows compares UPNs).
 *
 * A constraint of a form not listed above (x400Address, ediPartyName, registeredID, other
 * otherNames), or a subtree with minimum ≠ 0 or a maximum (which §4.2.1.10 forbids CAs to
 * issue), cannot be processed: it refuses a certificate carrying a name of that form, as
 * §4.2.1.10 requires ("MUST either process the constraint or reject the certificate").
 */
import { TesseraError } from '../errors/TesseraError.js';
import { rdnKeys, withinDirectorySubtree } from './compareNames.js';
import { children, read, readTlv, TAG, type Tlv } from './der.js';
import { OID } from './oids.js';

export type NameForm = 'dn' | 'email' | 'dns' | 'uri' | 'ip' | 'upn';

export type Subtree =
  | { readonly form: 'dn'; readonly rdns: readonly string[]; readonly text: string }
  | { readonly form: 'email' | 'dns' | 'uri' | 'upn'; readonly value: string }
  | { readonly form: 'ip'; readonly address: Buffer; readonly mask: Buffer }
  /** A form this code does not process (`key` says which: a tag number or an otherName OID). */
  | { readonly form: 'unsupported'; readonly key: string; readonly why: string };

export interface NameConstraints {
  readonly permitted?: readonly Subtree[];
  readonly excluded?: readonly Subtree[];
}

/** One name of a certificate, in the shape the subtrees match. */
export type SubjectName =
  | { readonly form: 'dn'; readonly rdns: readonly string[] }
  | { readonly form: 'email' | 'dns' | 'uri' | 'upn'; readonly value: string }
  | { readonly form: 'ip'; readonly address: Buffer }
  | { readonly form: 'unsupported'; readonly key: string };

function bad(detail: string): never {
  throw new TesseraError('REQUEST_MALFORMED', detail);
}

function ascii(der: Uint8Array, t: Tlv, what: string): string {
  const b = read.bytes(der, t);
  for (const c of b) if (c === 0 || c > 0x7e) bad(`${what} with a non-printable character`);
  return b.toString('ascii');
}

/** The key a GeneralName form is known by: the form of the names it constrains, or its tag / otherName OID. */
function otherKey(der: Uint8Array, t: Tlv): string {
  const known: Record<number, NameForm> = { 129: 'email', 130: 'dns', 134: 'uri', 135: 'ip', 164: 'dn' };
  if (known[t.tag]) return known[t.tag];
  if (t.tag === 0xa0) {
    const [typeId] = children(der, t);
    if (typeId?.tag === TAG.OID && read.oid(der, typeId) === OID.userPrincipalName) return 'upn';
  }
  if (t.tag === 0xa0) {
    const [typeId] = children(der, t);
    return typeId?.tag === TAG.OID ? `otherName ${read.oid(der, typeId)}` : 'otherName';
  }
  return `[${t.tag & 0x1f}]`;
}

function upnOf(der: Uint8Array, t: Tlv): string | undefined {
  const [typeId, value] = children(der, t);
  if (!typeId || typeId.tag !== TAG.OID || read.oid(der, typeId) !== OID.userPrincipalName) return undefined;
  const inner = value?.tag === 0xa0 ? children(der, value)[0] : undefined;
  if (!inner || inner.tag !== TAG.UTF8String) bad('UPN otherName is not a UTF8String');
  return read.string(der, inner);
}

function decodeSubtree(der: Uint8Array, st: Tlv): Subtree {
  const parts = st.tag === TAG.SEQUENCE ? children(der, st) : [];
  if (parts.length < 1 || parts.length > 3) bad('GeneralSubtree is not { base, minimum, maximum }');
  const [base, ...rest] = parts;
  for (const r of rest) {
    if (r.tag === 0x80) {
      const c = read.bytes(der, r);
      if (!(c.length === 1 && c[0] === 0))
        return { form: 'unsupported', key: otherKey(der, base), why: 'a subtree with a minimum other than 0' };
      // X.690 §11.5: minimum DEFAULT 0 is not encoded in DER.
      bad('GeneralSubtree encodes the default minimum 0');
    } else if (r.tag === 0x81)
      return { form: 'unsupported', key: otherKey(der, base), why: 'a subtree with a maximum' };
    else bad('unexpected field in GeneralSubtree');
  }
  switch (base.tag) {
    case 0x81:
      return { form: 'email', value: ascii(der, base, 'rfc822Name constraint') };
    case 0x82:
      return { form: 'dns', value: ascii(der, base, 'dNSName constraint') };
    case 0x86:
      return { form: 'uri', value: ascii(der, base, 'URI constraint') };
    case 0x87: {
      const b = read.bytes(der, base);
      if (b.length !== 8 && b.length !== 32) bad(`iPAddress constraint of ${b.length} octets (8 or 32)`);
      const half = b.length / 2;
      return { form: 'ip', address: Buffer.from(b.subarray(0, half)), mask: Buffer.from(b.subarray(half)) };
    }
    case 0xa4: {
      const [name] = children(der, base);
      if (!name || name.tag !== TAG.SEQUENCE) bad('directoryName constraint is not a Name');
      return { form: 'dn', rdns: rdnKeys(der, name), text: read.whole(der, name).toString('hex') };
    }
    case 0xa0: {
      const upn = upnOf(der, base);
      if (upn !== undefined) return { form: 'upn', value: upn };
      return { form: 'unsupported', key: otherKey(der, base), why: 'an otherName form other than the UPN' };
    }
    default:
      return { form: 'unsupported', key: otherKey(der, base), why: 'a name form this validator does not process' };
  }
}

/** Decode a nameConstraints extension value. */
export function decodeNameConstraints(v: Uint8Array): NameConstraints {
  const top = readTlv(v, 0, v.length);
  if (top.tag !== TAG.SEQUENCE || top.end !== v.length) bad('nameConstraints is not a SEQUENCE');
  const parts = children(v, top);
  // §4.2.1.10: "Conforming CAs MUST NOT issue certificates where name constraints is an empty sequence."
  if (parts.length === 0) bad('empty nameConstraints');
  const out: { permitted?: Subtree[]; excluded?: Subtree[] } = {};
  let last = -1;
  for (const p of parts) {
    const n = p.tag === 0xa0 ? 0 : p.tag === 0xa1 ? 1 : bad('unexpected field in nameConstraints');
    if (n <= last) bad('nameConstraints fields out of order');
    last = n;
    const subtrees = children(v, p).map((st) => decodeSubtree(v, st));
    if (subtrees.length === 0) bad('empty GeneralSubtrees');
    if (n === 0) out.permitted = subtrees;
    else out.excluded = subtrees;
  }
  return out;
}

/**
 * The names `constraints` apply to in a certificate: its subject DN (when not empty),
 * each emailAddress attribute of the subject as an rfc822Name (§4.2.1.10: legacy e-mail
 * addresses in the DN), and every subjectAltName entry.
 */
export function subjectNames(subject: Uint8Array, san: Uint8Array | undefined): SubjectName[] {
  const out: SubjectName[] = [];
  const subjectTop = readTlv(subject, 0, subject.length);
  const rdns = children(subject, subjectTop);
  if (rdns.length) out.push({ form: 'dn', rdns: rdnKeys(subject, subjectTop) });
  for (const rdn of rdns) {
    for (const atv of children(subject, rdn)) {
      const [t, val] = children(subject, atv);
      if (t?.tag === TAG.OID && val && read.oid(subject, t) === OID.emailAddress)
        out.push({ form: 'email', value: read.string(subject, val) });
    }
  }
  if (san) {
    for (const g of children(san, readTlv(san, 0, san.length))) {
      switch (g.tag) {
        case 0x81:
          out.push({ form: 'email', value: ascii(san, g, 'rfc822Name') });
          break;
        case 0x82:
          out.push({ form: 'dns', value: ascii(san, g, 'dNSName') });
          break;
        case 0x86:
          out.push({ form: 'uri', value: ascii(san, g, 'URI') });
          break;
        case 0x87:
          out.push({ form: 'ip', address: Buffer.from(read.bytes(san, g)) });
          break;
        case 0xa4: {
          const [name] = children(san, g);
          if (name?.tag === TAG.SEQUENCE) out.push({ form: 'dn', rdns: rdnKeys(san, name) });
          break;
        }
        case 0xa0: {
          const upn = upnOf(san, g);
          out.push(upn !== undefined ? { form: 'upn', value: upn } : { form: 'unsupported', key: otherKey(san, g) });
          break;
        }
        default:
          out.push({ form: 'unsupported', key: otherKey(san, g) });
      }
    }
  }
  return out;
}

const lower = (s: string) => s.toLowerCase();

/**
 * dNSName (§4.2.1.10): "Any DNS name that can be constructed
 * by simply adding zero or more labels to the left-hand side".
 */
function dnsWithin(name: string, base: string): boolean {
  const n = lower(name).replace(/\.$/, '');
  const b = lower(base).replace(/\.$/, '');
  if (b === '') return true;
  if (b.startsWith('.')) return n.endsWith(b);
  return n === b || n.endsWith(`.${b}`);
}

/** A host against an rfc822Name/URI host constraint: exact host, or ".domain" for hosts below it. */
function hostWithin(host: string, base: string): boolean {
  const h = lower(host);
  const b = lower(base);
  if (b.startsWith('.')) return h.endsWith(b);
  return h === b;
}

/** A mailbox (or UPN) against a mailbox, host or ".domain" constraint. */
function mailboxWithin(mailbox: string, base: string): boolean {
  const at = mailbox.lastIndexOf('@');
  if (at < 0) return false;
  const local = mailbox.slice(0, at);
  const host = mailbox.slice(at + 1);
  if (base.startsWith('@')) return lower(host) === lower(base.slice(1));
  const bat = base.lastIndexOf('@');
  // A whole mailbox: the local part as written, the host without regard to case.
  if (bat >= 0) return local === base.slice(0, bat) && lower(host) === lower(base.slice(bat + 1));
  return hostWithin(host, base);
}

/** The host of a URI (RFC 3986 authority, without userinfo and port), or undefined when it has none. */
function uriHost(uri: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(uri);
  if (!m) return undefined;
  let auth = m[1];
  auth = auth.slice(auth.lastIndexOf('@') + 1);
  if (auth.startsWith('[')) return undefined; // an IP literal is not a host name
  const host = auth.replace(/:\d*$/, '');
  return host || undefined;
}

function ipWithin(address: Buffer, base: { address: Buffer; mask: Buffer }): boolean {
  if (address.length !== base.address.length) return false;
  for (let i = 0; i < address.length; i++)
    if ((address[i] & base.mask[i]) !== (base.address[i] & base.mask[i])) return false;
  return true;
}

/** Whether `name` is within `base` (same form assumed). */
function within(name: SubjectName, base: Subtree): boolean {
  switch (base.form) {
    case 'dn':
      return name.form === 'dn' && withinDirectorySubtree(name.rdns, base.rdns);
    case 'dns':
      return name.form === 'dns' && dnsWithin(name.value, base.value);
    case 'email':
      return name.form === 'email' && mailboxWithin(name.value, base.value);
    case 'upn':
      return name.form === 'upn' && mailboxWithin(name.value, base.value);
    case 'uri': {
      if (name.form !== 'uri') return false;
      const host = uriHost(name.value);
      return host !== undefined && hostWithin(host, base.value);
    }
    case 'ip':
      return name.form === 'ip' && ipWithin(name.address, base);
    case 'unsupported':
      return false;
  }
}

const formOf = (s: Subtree | SubjectName): string => (s.form === 'unsupported' ? s.key : s.form);

function describe(n: SubjectName): string {
  switch (n.form) {
    case 'dn':
      return `directoryName ${n.rdns.join(',')}`;
    case 'ip':
      return `iPAddress ${n.address.length === 4 ? [...n.address].join('.') : n.address.toString('hex')}`;
    case 'unsupported':
      return `a name of form ${n.key}`;
    default:
      return (
        `${n.form === 'email' ? 'rfc822Name' : n.form === 'dns' ? 'dNSName' : n.form === 'uri' ? 'URI' : 'UPN'} ` +
        `${n.value}`
      );
  }
}

/**
 * Why `names` violate the constraints `nc` of one CA certificate, or undefined when they
 * do not: every name of a form the permitted subtrees constrain is within one of them,
 * and no name is within an excluded subtree. A subtree this code cannot process refuses
 * any name of its form.
 */
export function nameConstraintsProblem(names: readonly SubjectName[], nc: NameConstraints): string | undefined {
  for (const n of names) {
    const f = formOf(n);
    const permitted = (nc.permitted ?? []).filter((s) => formOf(s) === f);
    const excluded = (nc.excluded ?? []).filter((s) => formOf(s) === f);
    const unsupported = [...permitted, ...excluded].find((s) => s.form === 'unsupported');
    if (unsupported && unsupported.form === 'unsupported')
      return `${describe(n)}: the CA constrains this name form with ${unsupported.why}, which cannot be processed`;
    // A URI without a host cannot be shown to be inside or outside a host constraint.
    if (n.form === 'uri' && (permitted.length || excluded.length) && uriHost(n.value) === undefined)
      return `${describe(n)} has no host to check against the URI name constraints`;
    if (permitted.length && !permitted.some((s) => within(n, s)))
      return `${describe(n)} is not within the permitted subtrees`;
    const hit = excluded.find((s) => within(n, s));
    if (hit) return `${describe(n)} is within an excluded subtree`;
  }
  return undefined;
}
