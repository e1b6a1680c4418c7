/**
 * X.501 Names: encoding from attribute lists and formatting as RFC 4514 strings.
 */
import { TesseraError } from '../errors/TesseraError.js';
import { children, printable, readTlv, read, seq, setOf, TAG, oid, ia5, utf8, type Tlv } from './der.js';
import { OID } from './oids.js';

export interface NameAttribute {
  /** A short name (CN, O, OU, C, L, ST, DC, E, UID, serialNumber) or a dotted OID. */
  readonly type: string;
  readonly value: string;
}

const SHORT_TO_OID: Record<string, string> = {
  CN: OID.commonName,
  SN: OID.surname,
  GN: OID.givenName,
  serialNumber: OID.serialNumber,
  C: OID.countryName,
  L: OID.localityName,
  ST: OID.stateOrProvinceName,
  O: OID.organizationName,
  OU: OID.organizationalUnitName,
  DC: OID.domainComponent,
  UID: OID.uid,
  E: OID.emailAddress,
};
const OID_TO_SHORT: Record<string, string> = Object.fromEntries(Object.entries(SHORT_TO_OID).map(([k, v]) => [v, k]));

export function attributeOid(type: string): string {
  return SHORT_TO_OID[type] ?? type;
}

/**
 * The string type each attribute is written with: RFC 5280 §4.1.2.4 says UTF8String
 * for DirectoryString; countryName and serialNumber are PrintableString (X.520);
 * emailAddress and domainComponent are IA5String (RFC 5280 §4.1.2.6, RFC 4519).
 */
function encodeValue(type: string, value: string): Buffer {
  switch (type) {
    case OID.countryName:
    case OID.serialNumber:
      return printable(value);
    case OID.emailAddress:
    case OID.domainComponent:
      return ia5(value);
    default:
      return utf8(value);
  }
}

/** Name DER from attributes in sequence order (most significant first), one per RDN. */
export function encodeName(attrs: readonly NameAttribute[]): Buffer {
  return seq(
    ...attrs.map((a) => {
      const type = attributeOid(a.type);
      return setOf(seq(oid(type), encodeValue(type, a.value)));
    }),
  );
}

export const EMPTY_NAME = Buffer.from([TAG.SEQUENCE, 0]);

/** The attributes of a Name in sequence order. */
export function decodeName(der: Uint8Array, top: Tlv = readTlv(der, 0, der.length)): NameAttribute[] {
  const out: NameAttribute[] = [];
  // X.501: Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF AttributeTypeAndValue).
  if (top.tag !== TAG.SEQUENCE) throw new TesseraError('REQUEST_MALFORMED', 'a Name is not a SEQUENCE');
  for (const rdn of children(der, top)) {
    if (rdn.tag !== TAG.SET) throw new TesseraError('REQUEST_MALFORMED', 'a RelativeDistinguishedName is not a SET');
    for (const atv of children(der, rdn)) {
      const [t, v] = atv.tag === TAG.SEQUENCE ? children(der, atv) : [];
      if (!t || !v || v.constructed)
        throw new TesseraError('REQUEST_MALFORMED', 'an AttributeTypeAndValue is not { type, value }');
      const type = read.oid(der, t);
      out.push({ type: OID_TO_SHORT[type] ?? type, value: read.string(der, v) });
    }
  }
  return out;
}

/** RFC 4514 string: RDNs in reverse sequence order, special characters escaped. */
export function formatName(attrs: readonly NameAttribute[]): string {
  return [...attrs]
    .reverse()
    .map((a) => `${a.type}=${escapeValue(a.value)}`)
    .join(',');
}

function escapeValue(v: string): string {
  let s = v.replace(/([,+"\\<>;=])/g, '\\$1');
  if (s.startsWith(' ') || s.startsWith('#')) s = `\\${s}`;
  if (s.endsWith(' ')) s = `${s.slice(0, -1)}\\ `;
  return s;
}

/** Parse a simple RFC 4514 string back into attributes in sequence order. */
export function parseName(text: string): NameAttribute[] {
  if (text.trim() === '') return [];
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      cur += c + text[++i];
    } else if (c === ',') {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts
    .map((p) => {
      const eq = p.indexOf('=');
      if (eq <= 0) throw new Error(`not a distinguished name component: ${p}`);
      // RFC 4514 §2.4: an escaped trailing space ("\ ") is part of the value, so
      // only unescaped surrounding whitespace is trimmed before unescaping.
      const value = p
        .slice(eq + 1)
        .replace(/^\s+/, '')
        .replace(/(?<!\\)\s+$/, '');
      return { type: p.slice(0, eq).trim(), value: value.replace(/\\(.)/g, '$1') };
    })
    .reverse();
}
