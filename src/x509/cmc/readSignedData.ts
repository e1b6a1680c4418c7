/**
 * A CMS SignedData (RFC 5652 §5) as a request carries it, read with @peculiar/asn1-cms
 * after x509/der.ts has checked the bytes (depth and node caps, DER only). The
 * certificates are also kept as their original DER, because trust decisions compare and
 * verify certificates byte for byte.
 */
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { TesseraError } from '../../errors/TesseraError.js';
import { checkDer, children, read, TAG, type Tlv } from '../der.js';
import { OID } from '../oids.js';
import { checkSignedDataSyntax } from './checkSignedDataSyntax.js';

export interface SignedContent {
  readonly signedData: SignedData;
  readonly eContentType: string;
  /** The encapsulated content octets (the DER of PKIData, or of the PKCS#10 for PKCS#7). */
  readonly eContent: Buffer;
  /** SignedData.certificates that are X.509 certificates, as received. */
  readonly certificates: readonly Buffer[];
  /**
   * Each SignerInfo's signedAttrs as received (the [0] IMPLICIT TLV), in SignerInfos order,
   * or null: the signature covers these exact bytes (RFC 5652 §5.4), so they are not
   * re-encoded.
   */
  readonly signedAttrsRaw: readonly (Buffer | null)[];
}

/** Parse with the library, turning its exceptions into REQUEST_MALFORMED with context. */
export function parseAs<T>(der: Uint8Array, type: new () => T, what: string): T {
  try {
    return AsnConvert.parse(der, type);
  } catch (e) {
    throw new TesseraError('REQUEST_MALFORMED', `${what}: ${(e as Error).message}`);
  }
}

export function readSignedData(der: Buffer): SignedContent {
  // decodeRequest already ran checkDer with these limits; a direct caller gets the same guard.
  const top = checkDer(der, { maxDepth: 48, maxNodes: 50_000 });
  const info = parseAs(der, ContentInfo, 'ContentInfo');
  // RFC 5652 §3: ContentInfo; only signed-data carries requests.
  if (info.contentType !== OID.signedData)
    throw new TesseraError('REQUEST_FORMAT_UNSUPPORTED', `CMS content type ${info.contentType}`);
  // RFC 5652 §5.1, §5.3: the versions and digestAlgorithms, which no signature covers,
  // on the bytes as received (the schema parser is lenient about them).
  checkSignedDataSyntax(der, signedDataTlv(der, top));
  const signedData = parseAs(new Uint8Array(info.content), SignedData, 'SignedData');
  const eci = signedData.encapContentInfo;
  const single = eci.eContent?.single;
  if (!single)
    throw new TesseraError(
      'REQUEST_MALFORMED',
      'the SignedData has no encapsulated content (detached signatures carry no request)',
    );
  const raw = rawParts(der, top);
  if (raw.signedAttrs.length !== signedData.signerInfos.length)
    throw new TesseraError('REQUEST_MALFORMED', 'SignerInfos could not be read consistently');
  return {
    signedData,
    eContentType: eci.eContentType,
    eContent: Buffer.from(single.buffer),
    certificates: raw.certificates,
    signedAttrsRaw: raw.signedAttrs,
  };
}

/** The SignedData SEQUENCE inside ContentInfo { contentType, [0] EXPLICIT content }. */
function signedDataTlv(der: Buffer, top: ReturnType<typeof checkDer>): Tlv {
  const [, explicit0] = children(der, top);
  const [sd] = explicit0 ? children(der, explicit0) : [];
  if (!sd || sd.tag !== TAG.SEQUENCE)
    throw new TesseraError('REQUEST_MALFORMED', 'ContentInfo content is not a SignedData SEQUENCE');
  return sd;
}

/**
 * From the original bytes: the `certificates [0] IMPLICIT CertificateSet` members that
 * are plain certificates (CertificateChoices `certificate`, a SEQUENCE), and each
 * SignerInfo's `signedAttrs [0] IMPLICIT` (the sid's subjectKeyIdentifier alternative is
 * the primitive [0], 0x80, so the first constructed [0] is signedAttrs).
 */
function rawParts(
  der: Buffer,
  top: ReturnType<typeof checkDer>,
): { certificates: Buffer[]; signedAttrs: (Buffer | null)[] } {
  const [, explicit0] = children(der, top);
  const [sd] = explicit0 ? children(der, explicit0) : [];
  if (!sd) return { certificates: [], signedAttrs: [] };
  const fields = children(der, sd);
  const certSet = fields.find((t) => t.tag === 0xa0);
  const certificates = certSet
    ? children(der, certSet)
        .filter((t) => t.tag === TAG.SEQUENCE)
        .map((t) => Buffer.from(read.whole(der, t)))
    : [];
  const infos = fields[fields.length - 1];
  const signedAttrs =
    infos && infos.tag === TAG.SET
      ? children(der, infos).map((si) => {
          const a = children(der, si).find((t) => t.tag === 0xa0);
          return a ? Buffer.from(read.whole(der, a)) : null;
        })
      : [];
  return { certificates, signedAttrs };
}
