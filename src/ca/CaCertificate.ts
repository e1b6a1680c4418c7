/**
 * The facts about a CA certificate the issuance path needs, read once at start:
 * its subject (our issuer field), key identifier (our AKI), validity (our clamp).
 */
import { children, read, readTlv, checkDer } from '../x509/der.js';
import { decodeName, formatName } from '../x509/name.js';
import { OID } from '../x509/oids.js';
import { decodeSpki, keyIdentifier, type PublicKeyInfo } from '../x509/publicKey.js';

export interface CaCertificate {
  readonly der: Buffer;
  readonly subjectDer: Buffer;
  readonly subject: string;
  readonly issuerDer: Buffer;
  readonly spki: Buffer;
  readonly key: PublicKeyInfo;
  /** subjectKeyIdentifier extension value, or the RFC 5280 method-1 hash when absent. */
  readonly keyId: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly serial: string;
  readonly selfSigned: boolean;
}

function parseTime(buf: Buffer, t: { tag: number; contentStart: number; end: number }): Date {
  const s = buf.subarray(t.contentStart, t.end).toString('ascii');
  const m = t.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) throw new Error(`bad time ${s}`);
  let y = Number(m[1]);
  if (t.tag === 0x17) y += y < 50 ? 2000 : 1900; // RFC 5280 §4.1.2.5.1
  return new Date(Date.UTC(y, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

export function readCaCertificate(der: Buffer): CaCertificate {
  const top = checkDer(der);
  const [tbsT] = children(der, top);
  const f = children(der, tbsT);
  let i = 0;
  if (f[0].tag === 0xa0) i++;
  const serialT = f[i];
  const issuerT = f[i + 2];
  const validityT = f[i + 3];
  const subjectT = f[i + 4];
  const spkiT = f[i + 5];
  const [nb, na] = children(der, validityT);
  const spki = read.whole(der, spkiT);
  let keyId = keyIdentifier(spki);
  const extsT = f.find((x) => x.tag === 0xa3);
  if (extsT) {
    for (const ext of children(der, children(der, extsT)[0])) {
      const parts = children(der, ext);
      if (read.oid(der, parts[0]) === OID.subjectKeyIdentifier) {
        const v = read.bytes(der, parts[parts.length - 1]);
        keyId = read.bytes(v, readTlv(v, 0, v.length));
      }
    }
  }
  const subjectDer = read.whole(der, subjectT);
  const issuerDer = read.whole(der, issuerT);
  return {
    der,
    subjectDer,
    subject: formatName(decodeName(der, subjectT)),
    issuerDer,
    spki,
    key: decodeSpki(spki),
    keyId: Buffer.from(keyId),
    notBefore: parseTime(der, nb),
    notAfter: parseTime(der, na),
    serial: read.bytes(der, serialT).toString('hex'),
    selfSigned: subjectDer.equals(issuerDer),
  };
}
