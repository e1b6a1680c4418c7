/**
 * A host name from a server request (common name, dNSName, SAN attribute), checked and put
 * in the form the certificate carries: CA/B Baseline Requirements §7.1.4.2 (a server
 * certificate's subject CN is one of its SAN values, dNSName or iPAddress) and RFC 6125 §6
 * (clients match the SAN, not the CN).
 *
 *  - A DNS name is letter-digit-hyphen labels (RFC 1123 §2.1, RFC 5890 §2.3.1): 1–63
 *    octets each, no hyphen first or last, at most 253 octets in all, no trailing dot. A
 *    label with "--" in its third and fourth positions is reserved and valid only as an
 *    A-label ("xn--" and valid Punycode, RFC 5890 §2.3.2.1); Unicode labels are refused
 *    with their A-label form in the message. The last label is not all digits (RFC 3696
 *    §2), so a truncated or mistyped IPv4 address is not taken for a DNS name. Names are
 *    case-insensitive (RFC 4343) and carried in lower case.
 *  - A wildcard is a whole leftmost "*" label, and only when the template allows it
 *    (san.dnsWildcard); at least two labels follow it (BR §7.1.4.2.1: not "*.com").
 *  - An IP address is a dotted-quad IPv4 address or an IPv6 address without a zone,
 *    carried in the RFC 5952 text form (BR §7.1.4.2.1).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';
import { PolicyDenial } from './PolicyDenial.js';

export type HostName =
  | { readonly type: 'dns'; readonly value: string }
  | { readonly type: 'ip'; readonly value: string };

export interface HostNameOptions {
  /** Where the name came from, for the message ("common name", "SAN dNSName"...). */
  readonly where: string;
  /** Whether "*." may start a DNS name (the template's san.dnsWildcard). */
  readonly wildcard: boolean;
  /** Whether an IP address is acceptable here (not in a dNSName). */
  readonly ip: boolean;
  /** The template, for the wildcard message. */
  readonly template: string;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function parseHostName(text: string, o: HostNameOptions): HostName {
  const invalid = (why: string) =>
    new PolicyDenial('NAME_INVALID', `${o.where} "${printable(text)}" is not a valid host name: ${why}`);
  if (isIPv4(text)) {
    if (!o.ip) throw invalid('an IP address belongs in an iPAddress name, not a dNSName');
    return { type: 'ip', value: text };
  }
  if (isIPv6(text)) {
    if (!o.ip) throw invalid('an IP address belongs in an iPAddress name, not a dNSName');
    if (text.includes('%')) throw invalid('an IPv6 zone identifier has no meaning outside the host');
    // The WHATWG URL serializer writes RFC 5952 §4 text: lower case, longest zero run as "::".
    return { type: 'ip', value: new URL(`http://[${text}]/`).hostname.slice(1, -1) };
  }
  if (text.length === 0) throw invalid('it is empty');
  if (/[^\x21-\x7e]/.test(text)) {
    const ascii = /^[\x21-\x7e\u0080-\u{10ffff}]+$/u.test(text) ? domainToASCII(text) : '';
    throw invalid(
      ascii
        ? `internationalized names are requested in their A-label form (RFC 5890), here "${ascii}"`
        : 'it contains spaces or control characters; a DNS name is letters, digits, hyphens and dots',
    );
  }
  if (text.endsWith('.')) throw invalid('remove the trailing dot');
  const name = text.toLowerCase();
  if (name.length > 253)
    throw invalid(`it is ${name.length} characters long, more than the 253 of a DNS name (RFC 1035 §2.3.4)`);
  const labels = name.split('.');
  if (labels[0] === '*') {
    if (!o.wildcard)
      throw new PolicyDenial(
        'NAME_NOT_ALLOWED',
        `${o.where} "${name}" is a wildcard, which ${o.template} does not allow (san.dnsWildcard)`,
      );
    if (labels.length < 3)
      throw invalid('a wildcard needs at least two labels after "*." (CA/B Baseline Requirements §7.1.4.2.1)');
  }
  const start = labels[0] === '*' ? 1 : 0;
  for (const label of labels.slice(start)) {
    if (label.includes('*')) throw invalid('a wildcard is only a whole leftmost "*" label');
    if (label.length === 0) throw invalid('it has an empty label');
    if (label.length > 63) throw invalid(`the label "${label.slice(0, 20)}…" is longer than 63 characters`);
    if (!LABEL.test(label))
      throw invalid(`the label "${label}" is not letters, digits and inner hyphens (RFC 1123 §2.1)`);
    // RFC 5890 §2.3.1: "??--" labels are reserved; only valid A-labels ("xn--") may use them.
    if (label.slice(2, 4) === '--') {
      const unicode = label.startsWith('xn--') ? domainToUnicode(label) : '';
      if (!unicode || domainToASCII(unicode) !== label)
        throw invalid(`the label "${label}" has "--" in positions 3–4 but is not a valid A-label (RFC 5890 §2.3.1)`);
    }
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]))
    throw invalid(
      'the last label is all digits, which no top-level domain ' +
        'is (RFC 3696 §2); an IP address is four decimal numbers',
    );
  return { type: 'dns', value: name };
}

/** The name for a message: control characters shown as escapes, long names cut. */
function printable(s: string): string {
  const shown = s.length > 80 ? `${s.slice(0, 80)}…` : s;
  return shown.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
