/**
 * Distinguished name comparison for path validation (RFC 5280 §7.1, RFC 4518).
 *
 * Two Names match when they have the same number of RDNs and each RDN holds the same set
 * of attributes; an attribute value in a directory string type (PrintableString,
 * UTF8String, TeletexString, BMPString, UniversalString, IA5String…) compares after the
 * RFC 4518 string preparation this code applies — Unicode NFKC, case folding and
 * insignificant-space handling (leading and trailing spaces dropped, inner runs of spaces
 * collapsed to one) — so "CN=Good  CA" in PrintableString matches "cn=good ca" in
 * UTF8String (PKITS 4.3.3–4.3.11). Any other value type compares by its DER octets.
 *
 * Each RDN becomes a canonical key string; the Name's key is their concatenation, so a
 * Name can be looked up in a map (path building) and a directoryName subtree is a prefix
 * of RDN keys (name constraints, RFC 5280 §4.2.1.10).
 */
import { children, read, readTlv, TAG, type Tlv } from './der.js';

/** The character string tags of X.680 that DirectoryString, IA5String and friends use. */
const STRING_TAGS = new Set<number>([
  TAG.UTF8String,
  0x12,
  TAG.PrintableString,
  0x14,
  0x15,
  TAG.IA5String,
  0x1a,
  0x1b,
  0x1c,
  TAG.BMPString,
]);

function decodeString(c: Buffer, tag: number): string | undefined {
  if (tag === TAG.UTF8String) {
    const s = c.toString('utf8');
    // Invalid UTF-8 does not round-trip; compare such a value by its octets.
    return Buffer.from(s, 'utf8').equals(c) ? s : undefined;
  }
  if (tag === TAG.BMPString) {
    if (c.length % 2) return undefined;
    let s = '';
    for (let i = 0; i < c.length; i += 2) s += String.fromCharCode((c[i] << 8) | c[i + 1]);
    return s;
  }
  if (tag === 0x1c) {
    // UniversalString: UCS-4 big-endian.
    if (c.length % 4) return undefined;
    let s = '';
    for (let i = 0; i < c.length; i += 4) {
      const cp = c.readUInt32BE(i);
      if (cp > 0x10ffff) return undefined;
      s += String.fromCodePoint(cp);
    }
    return s;
  }
  // PrintableString, IA5String, NumericString, VisibleString are ASCII; TeletexString is
  // read as Latin-1, which is what the certificates that use it mean in practice.
  return c.toString('latin1');
}

/**
 * RFC 4518 §2 string preparation, as far as matching needs it: map, normalise (NFKC), fold case, insignificant space.
 */
export function prepareString(s: string): string {
  // §2.2 Map: soft hyphen, zero-width characters and controls map to nothing; other spaces to SPACE.
  // The combining marks (U+034F COMBINING GRAPHEME JOINER, the variation selectors U+180B-180D and
  // U+FE00-FE0F) come first in the class, so none of them follows a base character it would combine with.
  const mapped = s
    .replace(
      /[\u034f\u180b-\u180d\ufe00-\ufe0f\u00ad\u1806\ufffc\u200b-\u200d\u2060\ufeff\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f]/g,
      '',
    )
    .replace(/[\t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/g, ' ');
  // §2.3 Normalize (NFKC), with case folding (§2.2 "case folding") done through upper then lower case,
  // which folds ß to ss as the full case folding of RFC 4518 Appendix B does.
  const folded = mapped.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
  // §2.6.1 Insignificant space handling.
  return folded.replace(/ +/g, ' ').trim();
}

function atvKey(der: Uint8Array, atv: Tlv): string {
  const [t, v] = atv.tag === TAG.SEQUENCE ? children(der, atv) : [];
  if (!t || !v || t.tag !== TAG.OID) return `raw:${read.whole(der, atv).toString('hex')}`;
  const type = read.oid(der, t);
  if (STRING_TAGS.has(v.tag)) {
    const s = decodeString(read.bytes(der, v), v.tag);
    if (s !== undefined) return `${type}=s:${JSON.stringify(prepareString(s))}`;
  }
  return `${type}=b:${read.whole(der, v).toString('hex')}`;
}

/** The canonical key of each RDN of a Name TLV, in sequence order. */
export function rdnKeys(der: Uint8Array, top: Tlv = readTlv(der, 0, der.length)): string[] {
  if (top.tag !== TAG.SEQUENCE) return [`raw:${read.whole(der, top).toString('hex')}`];
  return children(der, top).map((rdn) => {
    if (rdn.tag !== TAG.SET) return `raw:${read.whole(der, rdn).toString('hex')}`;
    // An RDN is a set: the order of its attributes does not matter.
    return children(der, rdn)
      .map((atv) => atvKey(der, atv))
      .sort()
      .join('+');
  });
}

/** The comparison key of a whole Name: equal keys ⇔ the Names match under RFC 5280 §7.1. */
export function nameKey(der: Uint8Array): string {
  return rdnKeys(der)
    .map((k) => `/${k}`)
    .join('');
}

export function namesMatch(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b)) || nameKey(a) === nameKey(b);
}

/** Whether the RDN keys `name` start with those of `base` (a directoryName subtree). */
export function withinDirectorySubtree(name: readonly string[], base: readonly string[]): boolean {
  if (base.length > name.length) return false;
  return base.every((k, i) => name[i] === k);
}
