/**
 * id-cmc-regInfo content (RFC 5272 §6.11: `RegInfo ::= OCTET STRING`, "the format is
 * defined by the server"). Windows writes URL-encoded `name=value` pairs each followed
 * by `&`, e.g. `RequesterName=Domain%5CTargetUser&` for enroll on behalf
 * (learn.microsoft.com "CMC EOBO Encoded ASN.1"; RFC 5272 §6.11).
 *
 * Browser-safe: no node: imports.
 */

/** Encode pairs the way certreq does: percent-encoding, `&` after every pair. */
export function encodeRegInfo(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v)}&`).join('');
}

/** The regInfo text naming the user an enrollment agent enrolls for (`DOMAIN\user` or a UPN). */
export function requesterNameRegInfo(name: string): string {
  return encodeRegInfo([['RequesterName', name]]);
}

/**
 * Decode regInfo text into pairs (names as sent). Throws a RangeError with the reason
 * for text that is not `name=value&...` with valid percent-encoding.
 */
export function parseRegInfo(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new RangeError(`regInfo entry "${part.slice(0, 40)}" is not name=value`);
    try {
      const name = decodeURIComponent(part.slice(0, eq).replace(/\+/g, ' '));
      const value = decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
      out.push([name, value]);
    } catch {
      throw new RangeError(`regInfo entry "${part.slice(0, 40)}" has invalid percent-encoding`);
    }
  }
  return out;
}
