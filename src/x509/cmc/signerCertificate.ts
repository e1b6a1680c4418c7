/**
 * The fields of an X.509 certificate (RFC 5280 §4.1) that signer matching and agent
 * trust need, read from the original DER with x509/der.ts so that nothing is
 * re-encoded: issuer, serial, validity, key, key identifier, EKU and Microsoft
 * application policies, and the signed TBS with its signature.
 */
import { TesseraError } from '../../errors/TesseraError.js';
import { checkDer, children, read, readTlv, TAG, type Tlv } from '../der.js';
import { OID } from '../oids.js';
import { keyIdentifier } from '../publicKey.js';

export interface SignerCertificate {
  readonly der: Buffer;
  readonly tbs: Buffer;
  readonly signatureAlgorithm: Buffer;
  readonly signature: Buffer;
  readonly issuerDer: Buffer;
  readonly subjectDer: Buffer;
  /** Serial as lower-case hex of the unsigned magnitude (the certificates table form). */
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: Buffer;
  /** subjectKeyIdentifier extension value, else RFC 5280 §4.2.1.2 method 1. */
  readonly keyId: Buffer;
  /** extKeyUsage purposes (RFC 5280 §4.2.1.12). */
  readonly ekus: readonly string[];
  /** Microsoft application policies (1.3.6.1.4.1.311.21.10), policyIdentifier of each entry. */
  readonly applicationPolicies: readonly string[];
}

const bad = (detail: string): never => {
  throw new TesseraError('REQUEST_MALFORMED', `certificate: ${detail}`);
};

function time(buf: Buffer, t: Tlv): Date {
  const s = buf.subarray(t.contentStart, t.end).toString('ascii');
  const m = t.tag === TAG.UTCTime ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : t.tag === TAG.GeneralizedTime ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : null;
  if (!m) return bad(`validity time "${s}" is not UTCTime/GeneralizedTime in Zulu with seconds`);
  let y = Number(m[1]);
  if (t.tag === TAG.UTCTime) y += y < 50 ? 2000 : 1900; // RFC 5280 §4.1.2.5.1
  return new Date(Date.UTC(y, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/** Strip the sign octet: certificates table serials are the unsigned magnitude in hex. */
export function serialHex(magnitude: Uint8Array): string {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  return Buffer.from(magnitude.subarray(i)).toString('hex');
}

export function readSignerCertificate(der: Buffer): SignerCertificate {
  try {
    return read_(der);
  } catch (e) {
    if (e instanceof TesseraError) throw e;
    // A structure of the wrong shape (e.g. an empty Extension) is malformed input, not a crash.
    throw new TesseraError('REQUEST_MALFORMED', `certificate: ${(e as Error).message}`);
  }
}

function read_(der: Buffer): SignerCertificate {
  const top = checkDer(der, { maxDepth: 32, maxNodes: 20_000 });
  const parts = children(der, top);
  if (top.tag !== TAG.SEQUENCE || parts.length !== 3) bad('not { tbsCertificate, signatureAlgorithm, signatureValue }');
  const [tbsT, algT, sigT] = parts;
  if (tbsT.tag !== TAG.SEQUENCE || algT.tag !== TAG.SEQUENCE || sigT.tag !== TAG.BIT_STRING) bad('fields have the wrong types');
  const f = children(der, tbsT);
  let i = f[0]?.tag === 0xa0 ? 1 : 0; // version [0] EXPLICIT, absent for v1
  const serialT = f[i++];
  i++; // signature AlgorithmIdentifier (inside the TBS)
  const issuerT = f[i++];
  const validityT = f[i++];
  const subjectT = f[i++];
  const spkiT = f[i++];
  if (!serialT || !issuerT || !validityT || !subjectT || !spkiT) bad('TBSCertificate is incomplete');
  const [nbT, naT] = children(der, validityT);
  if (!nbT || !naT) bad('validity is incomplete');
  const spki = read.whole(der, spkiT);
  let keyId: Buffer = keyIdentifier(spki);
  const ekus: string[] = [];
  const applicationPolicies: string[] = [];
  const extsT = f.find((x) => x.tag === 0xa3);
  if (extsT) {
    const [list] = children(der, extsT);
    for (const ext of list ? children(der, list) : []) {
      const e = children(der, ext);
      const id = read.oid(der, e[0]);
      const v = read.bytes(der, e[e.length - 1]);
      const vt = readTlv(v, 0, v.length);
      if (id === OID.subjectKeyIdentifier) keyId = Buffer.from(read.bytes(v, vt));
      else if (id === OID.extKeyUsage) for (const p of children(v, vt)) ekus.push(read.oid(v, p));
      else if (id === OID.applicationPolicies) {
        // Same syntax as certificatePolicies (RFC 5280 §4.2.1.4): SEQUENCE OF PolicyInformation.
        for (const p of children(v, vt)) applicationPolicies.push(read.oid(v, children(v, p)[0]));
      }
    }
  }
  const sigBits = read.bytes(der, sigT);
  return {
    der,
    tbs: read.whole(der, tbsT),
    signatureAlgorithm: read.whole(der, algT),
    signature: sigBits.subarray(1),
    issuerDer: read.whole(der, issuerT),
    subjectDer: read.whole(der, subjectT),
    serial: serialHex(read.unsigned(der, serialT)),
    notBefore: time(der, nbT),
    notAfter: time(der, naT),
    spki,
    keyId,
    ekus,
    applicationPolicies,
  };
}
