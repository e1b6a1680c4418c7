/**
 * One SignerInfo over encapsulated content (RFC 5652 §5.3–5.5), with the signed
 * attributes CMC requires (contentType and messageDigest, RFC 5272 §3.2.1 and RFC 5652
 * §11), sorted into DER order and signed through a callback: WebCrypto, a PKCS#11 card, a
 * key file, or the CA's Signer. Browser-safe.
 */
import { Attribute, IssuerAndSerialNumber, SignerIdentifier, SignerInfo } from '@peculiar/asn1-cms';
import { AsnConvert, AsnObjectIdentifierConverter, OctetString } from '@peculiar/asn1-schema';
import { type AlgorithmIdentifier, Certificate, SubjectKeyIdentifier } from '@peculiar/asn1-x509';
import { compareBytes, digest, digestAlgorithm, toArrayBuffer, type CmsHash } from './cmsBytes.js';
import { SignedAttributes } from './SignedAttributes.js';

const CONTENT_TYPE = '1.2.840.113549.1.9.3';
const MESSAGE_DIGEST = '1.2.840.113549.1.9.4';

export type SignerId = { readonly subjectKeyIdentifier: Uint8Array } | { readonly certificate: Uint8Array };

export interface SignerInfoOptions {
  readonly sid: SignerId;
  readonly hash: CmsHash;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly eContentType: string;
  readonly eContent: Uint8Array;
  readonly sign: (data: Uint8Array) => Promise<Uint8Array>;
  /** More signed attributes (already encoded values), e.g. signingTime. */
  readonly extraAttributes?: readonly Attribute[];
}

/** An OBJECT IDENTIFIER attribute value (RFC 5652 §11.1 ContentType ::= OBJECT IDENTIFIER). */
const oidValue = (oid: string): ArrayBuffer => AsnObjectIdentifierConverter.toASN(oid).toBER(false);

/** Sort attributes into DER SET OF order (X.690 §11.6) so the signed bytes are the DER. */
export function sortedAttributes(attrs: readonly Attribute[]): Attribute[] {
  return attrs
    .map((a) => ({ a, der: new Uint8Array(AsnConvert.serialize(a)) }))
    .sort((x, y) => compareBytes(x.der, y.der))
    .map((x) => x.a);
}

export async function makeSignerInfo(o: SignerInfoOptions): Promise<SignerInfo> {
  const md = await digest(o.hash, o.eContent);
  const attrs = sortedAttributes([
    new Attribute({ attrType: CONTENT_TYPE, attrValues: [oidValue(o.eContentType)] }),
    new Attribute({ attrType: MESSAGE_DIGEST, attrValues: [AsnConvert.serialize(new OctetString(md))] }),
    ...(o.extraAttributes ?? []),
  ]);
  // RFC 5652 §5.4: the signature is over the DER of the SET OF, not the [0] IMPLICIT form.
  const toSign = new Uint8Array(AsnConvert.serialize(new SignedAttributes(attrs)));
  const signature = await o.sign(toSign);
  let sid: SignerIdentifier;
  let version: number;
  if ('subjectKeyIdentifier' in o.sid) {
    // RFC 5652 §5.3: subjectKeyIdentifier → version 3.
    sid = new SignerIdentifier({
      subjectKeyIdentifier: new SubjectKeyIdentifier(toArrayBuffer(o.sid.subjectKeyIdentifier)),
    });
    version = 3;
  } else {
    // issuerAndSerialNumber → version 1 (as the Windows agent SignerInfo).
    const cert = AsnConvert.parse(o.sid.certificate, Certificate);
    sid = new SignerIdentifier({
      issuerAndSerialNumber: new IssuerAndSerialNumber({
        issuer: cert.tbsCertificate.issuer,
        serialNumber: cert.tbsCertificate.serialNumber,
      }),
    });
    version = 1;
  }
  return new SignerInfo({
    version,
    sid,
    digestAlgorithm: digestAlgorithm(o.hash),
    signedAttrs: attrs,
    signatureAlgorithm: o.signatureAlgorithm,
    signature: new OctetString(toArrayBuffer(signature)),
  });
}
