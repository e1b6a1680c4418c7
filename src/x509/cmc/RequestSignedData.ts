import { DigestAlgorithmIdentifiers, EncapsulatedContentInfo, SignerInfos } from '@peculiar/asn1-cms';
import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';

/**
 * SignedData (RFC 5652 §5.1) as Tessera writes it for CMC requests and responses, with
 * the certificates kept as their DER (ANY) instead of decoded and re-encoded: an
 * enrollment agent certificate or an issued certificate must travel byte for byte, or
 * its signature and the CA's records no longer match it. Browser-safe.
 *
 * ```asn1
 * SignedData ::= SEQUENCE {
 *     version CMSVersion,
 *     digestAlgorithms DigestAlgorithmIdentifiers,
 *     encapContentInfo EncapsulatedContentInfo,
 *     certificates [0] IMPLICIT CertificateSet OPTIONAL,
 *     crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
 *     signerInfos SignerInfos }
 *
 * CertificateSet ::= SET OF CertificateChoices   -- here: certificate (Certificate) only
 * ```
 */
export class RequestSignedData {
  @AsnProp({ type: AsnPropTypes.Integer })
  public version = 3;

  @AsnProp({ type: DigestAlgorithmIdentifiers })
  public digestAlgorithms = new DigestAlgorithmIdentifiers();

  @AsnProp({ type: EncapsulatedContentInfo })
  public encapContentInfo = new EncapsulatedContentInfo();

  @AsnProp({ type: AsnPropTypes.Any, repeated: 'set', context: 0, implicit: true, optional: true })
  public certificates?: ArrayBuffer[];

  @AsnProp({ type: SignerInfos })
  public signerInfos = new SignerInfos();

  constructor(params: Partial<RequestSignedData> = {}) {
    Object.assign(this, params);
  }
}
