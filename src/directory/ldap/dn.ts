/**
 * LDAP distinguished names as strings (RFC 4514): parsing what a server or an
 * administrator wrote, and writing values back with the escaping §2.4 requires, so a
 * name such as `Smith, John` or `R&D (EU)` can never change the structure of a DN.
 *
 * x509/name.ts formats certificate names; this module reads LDAP's, which carry hex
 * escapes (`\2C`), hex-encoded values (`#04…`) and multi-valued RDNs (`a=1+b=2`).
 */
import { TesseraError } from '../../errors/TesseraError.js';

export interface Ava {
  readonly type: string;
  /** The value; for a `#hex` value (RFC 4514 §2.4: BER of the value) the text `#…` itself. */
  readonly value: string;
  readonly hex?: boolean;
}
/** One RDN: usually one AVA, several for multi-valued RDNs. */
export type Rdn = readonly Ava[];
/** RDNs as written, most specific first (`cn=alice,ou=People,dc=example`). */
export type Dn = readonly Rdn[];

const TYPE_RE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$/;
/** RFC 4514 §2.4: characters a value escapes anywhere. */
const SPECIAL = new Set(['"', '+', ',', ';', '<', '>', '\\']);
/** Upper bound on what is parsed: no DN in a directory is near this. */
const MAX_DN_LENGTH = 8192;

const invalid = (text: string, why: string) =>
  new TesseraError('INPUT_INVALID', `"${text.slice(0, 120)}" is not a distinguished name: ${why}`);

/** Parse an RFC 4514 string. Throws INPUT_INVALID. The empty string is the root DN (no RDNs). */
export function parseDn(text: string): Dn {
  if (typeof text !== 'string') throw invalid(String(text), 'not a string');
  if (text.length > MAX_DN_LENGTH) throw invalid(text, `longer than ${MAX_DN_LENGTH} characters`);
  if (text.trim() === '') return [];
  const rdns: Ava[][] = [];
  let rdn: Ava[] = [];
  let i = 0;
  const n = text.length;
  const skipSpaces = () => {
    while (i < n && text[i] === ' ') i++;
  };
  for (;;) {
    // attributeType
    skipSpaces();
    const typeStart = i;
    while (i < n && text[i] !== '=' && text[i] !== ',' && text[i] !== '+') i++;
    const type = text.slice(typeStart, i).trim();
    if (i >= n || text[i] !== '=') throw invalid(text, `"${type}" has no "="`);
    if (!TYPE_RE.test(type)) throw invalid(text, `"${type}" is not an attribute type`);
    i++; // '='
    skipSpaces();
    // attributeValue
    let value: string;
    let hex = false;
    if (text[i] === '#') {
      const start = i++;
      while (i < n && /[0-9A-Fa-f]/.test(text[i])) i++;
      value = text.slice(start, i);
      if (value.length < 3 || value.length % 2 === 0) throw invalid(text, 'a #hex value needs whole hex pairs');
      hex = true;
      skipSpaces();
    } else {
      const bytes: number[] = [];
      let trailingUnescapedSpaces = 0;
      while (i < n && text[i] !== ',' && text[i] !== '+' && text[i] !== ';') {
        const c = text[i];
        if (c === '\\') {
          const next = text.slice(i + 1, i + 3);
          if (/^[0-9A-Fa-f]{2}$/.test(next)) {
            bytes.push(parseInt(next, 16));
            i += 3;
          } else if (
            i + 1 < n &&
            (SPECIAL.has(text[i + 1]) || text[i + 1] === ' ' || text[i + 1] === '#' || text[i + 1] === '=')
          ) {
            bytes.push(text.charCodeAt(i + 1));
            i += 2;
          } else throw invalid(text, 'a "\\" must be followed by a special character or two hex digits');
          trailingUnescapedSpaces = 0;
          continue;
        }
        if (c === '"' || c === '<' || c === '>') throw invalid(text, `"${c}" must be escaped`);
        trailingUnescapedSpaces = c === ' ' ? trailingUnescapedSpaces + 1 : 0;
        for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
        i++;
      }
      // Unescaped spaces before a separator are not part of the value (RFC 4514 §3 leniency).
      const buf = Buffer.from(bytes.slice(0, bytes.length - trailingUnescapedSpaces));
      try {
        value = new TextDecoder('utf-8', { fatal: true }).decode(buf);
      } catch {
        throw invalid(text, 'a value is not UTF-8');
      }
    }
    rdn.push(hex ? { type, value, hex } : { type, value });
    if (i >= n) break;
    const sep = text[i++];
    if (sep === '+') continue;
    // ',' (RFC 4514) or ';' (RFC 1779, still emitted by some servers) ends the RDN.
    rdns.push(rdn);
    rdn = [];
    if (i >= n) throw invalid(text, 'ends with a separator');
  }
  rdns.push(rdn);
  return rdns;
}

/** RFC 4514 §2.4 escaping of one attribute value. */
export function escapeDnValue(value: string): string {
  let out = '';
  for (let k = 0; k < value.length; k++) {
    const c = value[k];
    if (SPECIAL.has(c) || (c === '#' && k === 0) || (c === ' ' && (k === 0 || k === value.length - 1))) out += `\\${c}`;
    else if (c === '\0') out += '\\00';
    else if (c.charCodeAt(0) < 0x20 || c === '\x7f') out += `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else if (c === '=') out += '\\=';
    else out += c;
  }
  return out;
}

const KNOWN_SHORT_NAMES: Record<string, string> = {
  cn: 'CN',
  ou: 'OU',
  o: 'O',
  dc: 'DC',
  c: 'C',
  l: 'L',
  st: 'ST',
  uid: 'UID',
  street: 'STREET',
};

/**
 * A DN as text. `canonicalTypes` upper-cases the attribute types certificate names know
 * (CN, OU, DC, UID, …), as Active Directory writes them and x509/name.ts expects.
 */
export function formatDn(dn: Dn, opts: { canonicalTypes?: boolean } = {}): string {
  return dn
    .map((rdn) =>
      rdn
        .map((a) => {
          const type = opts.canonicalTypes ? (KNOWN_SHORT_NAMES[a.type.toLowerCase()] ?? a.type) : a.type;
          return `${type}=${a.hex ? a.value : escapeDnValue(a.value)}`;
        })
        .join('+'),
    )
    .join(',');
}

/** A comparison key: case-insensitive types and values, AVAs of an RDN sorted. */
export function dnKey(dn: Dn | string): string {
  const parsed = typeof dn === 'string' ? parseDn(dn) : dn;
  return parsed
    .map((rdn) =>
      rdn
        .map((a) => `${a.type.toLowerCase()}=${a.hex ? a.value.toLowerCase() : escapeDnValue(a.value.toLowerCase())}`)
        .sort()
        .join('+'),
    )
    .join(',');
}

/** Whether `dn` is `base` or lies below it. */
export function isWithin(dn: Dn, base: Dn): boolean {
  if (base.length > dn.length) return false;
  const tail = dn.slice(dn.length - base.length);
  return dnKey(tail) === dnKey(base);
}

/** The value of the first RDN (a group's CN), or undefined for the root DN. */
export function leafValue(dn: Dn): string | undefined {
  const first = dn[0]?.[0];
  return first && !first.hex ? first.value : undefined;
}

/** Whether text is meant as a DN rather than a name: it has an unescaped "=" after an attribute type. */
export function looksLikeDn(text: string): boolean {
  return /^\s*(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)\s*=/.test(text);
}
