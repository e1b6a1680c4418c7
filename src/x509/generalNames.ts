/**
 * GeneralNames (RFC 5280 §4.2.1.6) with the Microsoft otherNames smart card logon uses,
 * and the KB5014754 SID security extension.
 */
import { TesseraError } from '../errors/TesseraError.js';
import { children, explicit, octets, oid, read, readTlv, seq, tlv, utf8, TAG, type Tlv } from './der.js';
import { OID } from './oids.js';

export type GeneralName =
  | { readonly type: 'upn'; readonly value: string }
  | { readonly type: 'email'; readonly value: string }
  | { readonly type: 'dns'; readonly value: string }
  | { readonly type: 'uri'; readonly value: string }
  | { readonly type: 'sid'; readonly value: string }
  | { readonly type: 'ip'; readonly value: string }
  | { readonly type: 'dn'; readonly value: Buffer }
  | { readonly type: 'other'; readonly oid: string; readonly value: Buffer };

/** The SAN URI form of a SID, which the Windows Server 2019+ KDC treats as a strong mapping. */
export const SID_URI_PREFIX = 'tag:microsoft.com,2022-09-14:sid:';

export function encodeGeneralName(n: GeneralName): Buffer {
  switch (n.type) {
    // Smart card logon requirement: UPN otherName 1.3.6.1.4.1.311.20.2.3, value [0] EXPLICIT
    // UTF8String (learn.microsoft.com ff404293).
    case 'upn':
      return tlv(0xa0, oid(OID.userPrincipalName), explicit(0, utf8(n.value)));
    case 'sid':
      return tlv(0xa0, oid(OID.ntdsObjectSid), explicit(0, octets(Buffer.from(n.value, 'ascii'))));
    case 'email':
      return tlv(0x81, Buffer.from(n.value, 'ascii'));
    case 'dns':
      return tlv(0x82, Buffer.from(n.value, 'ascii'));
    case 'uri':
      return tlv(0x86, Buffer.from(n.value, 'ascii'));
    case 'dn':
      return tlv(0xa4, n.value);
    case 'ip':
      // RFC 5280 §4.2.1.6: four octets for IPv4, sixteen for IPv6, network byte order.
      return tlv(0x87, ipAddressOctets(n.value));
    case 'other':
      return tlv(0xa0, oid(n.oid), n.value);
  }
}

/**
 * The octets of an IP address given as dotted IPv4, RFC 4291 §2.2 IPv6 text (with "::"
 * and an optional dotted IPv4 tail), or the 32 hex digits decodeGeneralName gives IPv6.
 */
export function ipAddressOctets(text: string): Buffer {
  const v4 = (t: string): number[] | null => {
    const parts = t.split('.');
    if (parts.length !== 4 || parts.some((p) => !/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255)) return null;
    return parts.map(Number);
  };
  const four = v4(text);
  if (four) return Buffer.from(four);
  if (/^[0-9a-f]{32}$/i.test(text)) return Buffer.from(text, 'hex');
  const bad = () => new Error(`"${text}" is not an IP address`);
  const halves = text.split('::');
  if (halves.length > 2) throw bad();
  const groups = (h: string): number[] => {
    if (h === '') return [];
    const out: number[] = [];
    const parts = h.split(':');
    parts.forEach((p, i) => {
      const tail = i === parts.length - 1 ? v4(p) : null;
      if (tail) out.push((tail[0] << 8) | tail[1], (tail[2] << 8) | tail[3]);
      else if (/^[0-9a-f]{1,4}$/i.test(p)) out.push(parseInt(p, 16));
      else throw bad();
    });
    return out;
  };
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const fill = 8 - head.length - rest.length;
  if ((halves.length === 2 && fill < 1) || (halves.length === 1 && fill !== 0)) throw bad();
  const all = [...head, ...Array<number>(halves.length === 2 ? fill : 0).fill(0), ...rest];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => {
    out.writeUInt16BE(g, i * 2);
  });
  return out;
}

export function encodeGeneralNames(names: readonly GeneralName[]): Buffer {
  return seq(...names.map(encodeGeneralName));
}

/** Decode GeneralNames (the SAN extension value). Rejects an empty sequence (RFC 5280 §4.2.1.6). */
export function decodeGeneralNames(der: Uint8Array): GeneralName[] {
  const top = readTlv(der, 0, der.length);
  if (top.tag !== TAG.SEQUENCE || top.end !== der.length)
    throw new TesseraError('CSR_INVALID_EXTENSION', 'GeneralNames is not a SEQUENCE');
  const items = children(der, top);
  if (items.length === 0) throw new TesseraError('CSR_INVALID_EXTENSION', 'empty subjectAltName');
  return items.map((t) => decodeGeneralName(der, t));
}

function ascii(der: Uint8Array, t: Tlv, what: string): string {
  const b = read.bytes(der, t);
  // IA5String: 7-bit only. A NUL or high byte could make two names compare equal in one
  // parser and different in another.
  for (const c of b)
    if (c === 0 || c > 0x7e) throw new TesseraError('CSR_INVALID_EXTENSION', `${what} with a non-printable character`);
  return b.toString('ascii');
}

export function decodeGeneralName(der: Uint8Array, t: Tlv): GeneralName {
  switch (t.tag) {
    case 0xa0: {
      const [typeId, value] = children(der, t);
      if (!typeId || !value || value.tag !== 0xa0)
        throw new TesseraError('CSR_INVALID_EXTENSION', 'otherName is not { type-id, [0] value }');
      const type = read.oid(der, typeId);
      const inner = children(der, value)[0];
      if (type === OID.userPrincipalName) {
        if (!inner || inner.tag !== TAG.UTF8String)
          throw new TesseraError('CSR_INVALID_EXTENSION', 'UPN otherName is not a UTF8String');
        const v = read.string(der, inner);
        if (/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/.test(v))
          throw new TesseraError('CSR_INVALID_EXTENSION', 'UPN with control characters');
        return { type: 'upn', value: v };
      }
      if (type === OID.ntdsObjectSid) {
        if (!inner || inner.tag !== TAG.OCTET_STRING)
          throw new TesseraError('CSR_INVALID_EXTENSION', 'SID otherName is not an OCTET STRING');
        return { type: 'sid', value: ascii(der, inner, 'SID') };
      }
      return { type: 'other', oid: type, value: read.bytes(der, t).subarray(typeId.end - typeId.start) };
    }
    case 0x81:
      return { type: 'email', value: ascii(der, t, 'rfc822Name') };
    case 0x82:
      return { type: 'dns', value: ascii(der, t, 'dNSName') };
    case 0x86:
      return { type: 'uri', value: ascii(der, t, 'URI') };
    case 0x87: {
      const b = read.bytes(der, t);
      return { type: 'ip', value: b.length === 4 ? [...b].join('.') : b.toString('hex') };
    }
    case 0xa4:
      return { type: 'dn', value: read.bytes(der, t) };
    default:
      return { type: 'other', oid: `[${t.tag & 0x1f}]`, value: read.whole(der, t) };
  }
}

/**
 * szOID_NTDS_CA_SECURITY_EXT (1.3.6.1.4.1.311.25.2) value, MS-WCCE §2.2.2.7.7.4: a
 * GeneralNames holding one otherName 1.3.6.1.4.1.311.25.2.1 whose value is the SID in
 * its string form as an OCTET STRING. KB5014754: this makes the mapping strong.
 */
export function encodeSidExtensionValue(sid: string): Buffer {
  return encodeGeneralNames([{ type: 'sid', value: sid }]);
}

export function decodeSidExtensionValue(der: Uint8Array): string {
  const names = decodeGeneralNames(der);
  const sid = names.find((n) => n.type === 'sid');
  if (!sid || names.length !== 1)
    throw new TesseraError('CSR_INVALID_EXTENSION', 'SID extension does not hold exactly one SID otherName');
  return sid.value as string;
}

const SID_RE = /^S-1-(\d+)(-\d+){1,14}$/;
export function isSid(s: string): boolean {
  return SID_RE.test(s);
}
