/**
 * The SignedData fields no signature covers, checked against RFC 5652 before any signature
 * is: a SignerInfo signs the content or its signed attributes (§5.4), never the versions
 * or the digestAlgorithms set, so without these checks anyone could change them in a
 * signed request and it would still be accepted.
 *
 *  - §5.1 SignedData.version follows from the contents: 5 with an `other` certificate or
 *    revocation-info choice; else 4 with a version 2 attribute certificate; else 3 with a
 *    version 1 attribute certificate, a version 3 SignerInfo or an eContentType other
 *    than id-data; else 1. (Windows CMC: 3; a Certipy PKCS #7 over id-data with an
 *    issuerAndSerialNumber signer: 1.)
 *  - §5.3 SignerInfo.version is 1 with an issuerAndSerialNumber sid, 3 with a
 *    subjectKeyIdentifier sid.
 *  - §5.1 digestAlgorithms is a SET OF DigestAlgorithmIdentifier, each an
 *    AlgorithmIdentifier { OBJECT IDENTIFIER, parameters absent or NULL } (RFC 5754 §2,
 *    RFC 3370 §2), and it lists every signer's digestAlgorithm.
 */
import { TesseraError } from '../../errors/TesseraError.js';
import { children, read, TAG, type Tlv } from '../der.js';
import { OID } from '../oids.js';

const invalid = (detail: string) => new TesseraError('CMC_SIGNED_DATA_INVALID', detail);

// CertificateChoices and RevocationInfoChoice alternatives (RFC 5652 §10.2.2, §10.2.1).
const CERT_V1_ATTR = 0xa1;
const CERT_V2_ATTR = 0xa2;
const CERT_OTHER = 0xa3;
const CRL_OTHER = 0xa1;
// SignerIdentifier: subjectKeyIdentifier [0] IMPLICIT (primitive), issuerAndSerialNumber SEQUENCE.
const SID_SKI = 0x80;

/** `signedData` is the SignedData SEQUENCE TLV in `der`, already through checkDer; run before the schema parse. */
export function checkSignedDataSyntax(der: Uint8Array, signedData: Tlv): void {
  const fields = children(der, signedData);
  const [versionTlv, digestsTlv, encapTlv] = fields;
  const certs = fields.find((t) => t.tag === 0xa0);
  const crls = fields.find((t) => t.tag === 0xa1);
  const infosTlv = fields[fields.length - 1];
  if (!versionTlv || versionTlv.tag !== TAG.INTEGER) throw invalid('SignedData.version is not an INTEGER');
  if (!digestsTlv || digestsTlv.tag !== TAG.SET)
    throw invalid('SignedData.digestAlgorithms is not a SET OF DigestAlgorithmIdentifier');
  if (!infosTlv || infosTlv.tag !== TAG.SET) throw invalid('SignedData.signerInfos is not a SET OF SignerInfo');
  const [eContentTypeTlv] = encapTlv?.tag === TAG.SEQUENCE ? children(der, encapTlv) : [];
  if (!eContentTypeTlv || eContentTypeTlv.tag !== TAG.OID)
    throw invalid('SignedData.encapContentInfo is not SEQUENCE { eContentType, … }');
  const eContentType = read.oid(der, eContentTypeTlv);

  const digests = children(der, digestsTlv).map((t, i) => digestAlgorithmOid(der, t, `digestAlgorithms item ${i + 1}`));

  const certTags = certs ? children(der, certs).map((t) => t.tag) : [];
  const crlTags = crls ? children(der, crls).map((t) => t.tag) : [];
  let anySignerV3 = false;
  children(der, infosTlv).forEach((si, i) => {
    const where = `SignerInfo ${i + 1}`;
    const [v, sid, digestAlg] = si.tag === TAG.SEQUENCE ? children(der, si) : [];
    if (!v || v.tag !== TAG.INTEGER || !sid || !digestAlg)
      throw invalid(`${where} is not SEQUENCE { version, sid, digestAlgorithm, … }`);
    const version = intText(der, v);
    const expected = sid.tag === SID_SKI ? '3' : sid.tag === TAG.SEQUENCE ? '1' : null;
    if (expected === null) throw invalid(`${where}: sid is neither issuerAndSerialNumber nor subjectKeyIdentifier`);
    // RFC 5652 §5.3: "If the SignerIdentifier is issuerAndSerialNumber, then the version
    // MUST be 1. If the SignerIdentifier is subjectKeyIdentifier, then the version MUST be 3."
    if (version !== expected)
      throw invalid(
        `${where}: version is ${version}, but a SignerInfo whose sid is ` +
          `${expected === '3' ? 'a subjectKeyIdentifier' : 'an issuerAndSerialNumber'} ` +
          `has version ${expected} (RFC 5652 §5.3)`,
      );
    if (expected === '3') anySignerV3 = true;
    const digest = digestAlgorithmOid(der, digestAlg, `${where} digestAlgorithm`);
    if (!digests.includes(digest))
      throw invalid(
        `${where} uses digest algorithm ${digest}, which SignedData.digestAlgorithms does not list (RFC 5652 §5.1)`,
      );
  });

  const version = intText(der, versionTlv);
  const expected =
    certTags.includes(CERT_OTHER) || crlTags.includes(CRL_OTHER)
      ? '5'
      : certTags.includes(CERT_V2_ATTR)
        ? '4'
        : certTags.includes(CERT_V1_ATTR) || anySignerV3 || eContentType !== OID.data
          ? '3'
          : '1';
  if (version !== expected)
    throw invalid(`SignedData.version is ${version}, but its contents make it version ${expected} (RFC 5652 §5.1)`);
}

/** An AlgorithmIdentifier with a digest OID and absent or NULL parameters: the OID. */
function digestAlgorithmOid(der: Uint8Array, t: Tlv, where: string): string {
  const parts = t.tag === TAG.SEQUENCE ? children(der, t) : [];
  const [algorithm, parameters, extra] = parts;
  if (!algorithm || algorithm.tag !== TAG.OID || extra)
    throw invalid(`${where} is not an AlgorithmIdentifier { OBJECT IDENTIFIER, parameters }`);
  if (parameters && (parameters.tag !== TAG.NULL || parameters.end !== parameters.contentStart)) {
    throw invalid(`${where}: a digest algorithm's parameters are absent or NULL (RFC 5754 §2)`);
  }
  return read.oid(der, algorithm);
}

/** An INTEGER as decimal text, whatever its size or sign (for exact comparison and messages). */
function intText(der: Uint8Array, t: Tlv): string {
  const c = der.subarray(t.contentStart, t.end);
  if (c.length === 0) return '(empty)';
  return BigInt.asIntN(c.length * 8, BigInt(`0x${Buffer.from(c).toString('hex')}`)).toString();
}
