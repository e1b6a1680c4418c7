/**
 * Building a PKCS#10 request (RFC 2986) around a key that signs through a callback:
 * WebCrypto in the browser, a PKCS#11 card through the card agent, a file key on the
 * CLI. Browser-safe: no node: imports, only @peculiar/asn1-* and Uint8Array.
 *
 * The request carries what AD CS clients put in theirs (learn.microsoft.com "CMC Request";
 * docs/certsrv.md §7): the
 * template name-value pair, the enrollment CSP with the key spec, the OS version and the
 * client information attribute, and the template extension.
 */
import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { AsnConvert, AsnSerializer, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Attribute, Extension, Extensions, Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { EnrollCertTypeChoice } from '@peculiar/asn1-x509-microsoft';
import { DirectoryString } from '@peculiar/asn1-x509';
import { derHeader } from './derLength.js';
import type { ClientInfo } from './clientInfo.js';

export type RequestHash = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

/** Signs `data` with the request key and returns the signature as it goes in the request (DER for ECDSA). */
export type SignCallback = (data: Uint8Array) => Promise<Uint8Array>;

export interface CsrOptions {
  /** SubjectPublicKeyInfo DER of the new key. */
  readonly spki: Uint8Array;
  readonly keyKind: 'rsa' | 'ec';
  readonly hash: RequestHash;
  readonly sign: SignCallback;
  /** Subject; empty by default, because the CA builds names from the directory. */
  readonly subject?: Uint8Array;
  /** v1 template name for the 1.3.6.1.4.1.311.20.2 extension and the name-value pair. */
  readonly template?: string;
  /** AT_KEYEXCHANGE (1) or AT_SIGNATURE (2), with the provider name, as attribute 1.3.6.1.4.1.311.13.2.2. */
  readonly csp?: { readonly keySpec: 1 | 2; readonly provider: string };
  readonly osVersion?: string;
  readonly clientInfo?: ClientInfo;
}

const SIG_OIDS: Record<'rsa' | 'ec', Record<RequestHash, string>> = {
  rsa: {
    'SHA-1': '1.2.840.113549.1.1.5',
    'SHA-256': '1.2.840.113549.1.1.11',
    'SHA-384': '1.2.840.113549.1.1.12',
    'SHA-512': '1.2.840.113549.1.1.13',
  },
  ec: {
    'SHA-1': '1.2.840.10045.4.1',
    'SHA-256': '1.2.840.10045.4.3.2',
    'SHA-384': '1.2.840.10045.4.3.3',
    'SHA-512': '1.2.840.10045.4.3.4',
  },
};

/** The signature AlgorithmIdentifier for a key kind and hash (RSA PKCS#1 v1.5 carries NULL parameters). */
export function signatureAlgorithm(keyKind: 'rsa' | 'ec', hash: RequestHash): AlgorithmIdentifier {
  const algorithm = SIG_OIDS[keyKind][hash];
  return keyKind === 'rsa'
    ? new AlgorithmIdentifier({ algorithm, parameters: null })
    : new AlgorithmIdentifier({ algorithm });
}

// Small DER writers for the few Microsoft attribute values (Uint8Array only: browser-safe).
function tlv(tag: number, body: Uint8Array): Uint8Array {
  const head = derHeader(tag, body.length);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const bmp = (s: string) => {
  const b = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    b[i * 2] = s.charCodeAt(i) >> 8;
    b[i * 2 + 1] = s.charCodeAt(i) & 0xff;
  }
  return tlv(0x1e, b);
};
const utf8 = (s: string) => tlv(0x0c, new TextEncoder().encode(s));
const ia5 = (s: string) => tlv(0x16, new TextEncoder().encode(s));
const smallInt = (n: number) => tlv(0x02, n < 0x80 ? new Uint8Array([n]) : new Uint8Array([0, n]));
const seq = (...p: Uint8Array[]) => tlv(0x30, concat(...p));

/**
 * An ArrayBuffer holding exactly these bytes. A Node Buffer is often a view into a shared
 * 8 KB pool, so `buf.buffer` (or `buf.slice().buffer`, which is also a view) would carry
 * the whole pool; copying through a new Uint8Array cannot.
 */
export function exactBuffer(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer as ArrayBuffer;
}

function attribute(type: string, value: Uint8Array): Attribute {
  return new Attribute({ type, values: [exactBuffer(value)] });
}

export async function buildCsr(o: CsrOptions): Promise<Uint8Array> {
  const attributes: Attribute[] = [];
  const extensions: Extension[] = [];
  if (o.template) {
    // szOID_ENROLLMENT_NAME_VALUE_PAIR and szOID_ENROLL_CERTTYPE_EXTENSION.
    attributes.push(attribute('1.3.6.1.4.1.311.13.2.1', seq(bmp('CertificateTemplate'), bmp(o.template))));
    const ext = AsnConvert.serialize(
      new EnrollCertTypeChoice({ name: new DirectoryString({ bmpString: o.template }) }),
    );
    extensions.push(
      new Extension({ extnID: '1.3.6.1.4.1.311.20.2', critical: false, extnValue: new OctetString(ext) }),
    );
  }
  if (o.osVersion) attributes.push(attribute('1.3.6.1.4.1.311.13.2.3', ia5(o.osVersion)));
  if (o.clientInfo) {
    const c = o.clientInfo;
    attributes.push(
      attribute('1.3.6.1.4.1.311.21.20', seq(smallInt(c.clientId), utf8(c.machine), utf8(c.user), utf8(c.process))),
    );
  }
  if (o.csp)
    attributes.push(
      attribute(
        '1.3.6.1.4.1.311.13.2.2',
        seq(smallInt(o.csp.keySpec), bmp(o.csp.provider), tlv(0x03, new Uint8Array([0]))),
      ),
    );
  if (extensions.length) {
    attributes.push(
      new Attribute({ type: '1.2.840.113549.1.9.14', values: [AsnConvert.serialize(new Extensions(extensions))] }),
    );
  }
  const info = new CertificationRequestInfo({
    version: 0,
    subject: o.subject ? AsnConvert.parse(o.subject, Name) : new Name(),
    subjectPKInfo: AsnConvert.parse(o.spki, SubjectPublicKeyInfo),
    attributes: new Attributes(attributes),
  });
  const infoDer = new Uint8Array(AsnSerializer.serialize(info));
  const signature = await o.sign(infoDer);
  const req = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: signatureAlgorithm(o.keyKind, o.hash),
    signature: exactBuffer(signature),
  });
  return new Uint8Array(AsnConvert.serialize(req));
}

/** WebCrypto ECDSA signatures are IEEE P1363 (r||s); X.509 wants DER SEQUENCE { r, s } (RFC 3279 §2.2.3). */
export function p1363ToDer(sig: Uint8Array): Uint8Array {
  const half = sig.length / 2;
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.slice(i);
    if (v[0] & 0x80) v = concat(new Uint8Array([0]), v);
    return tlv(0x02, v);
  };
  return seq(int(sig.slice(0, half)), int(sig.slice(half)));
}
