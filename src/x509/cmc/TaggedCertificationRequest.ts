import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';

/**
 * A PKCS#10 request inside CMC (RFC 5272 §3.2.1.3.2):
 *
 * ```asn1
 * TaggedCertificationRequest ::= SEQUENCE {
 *     bodyPartID            BodyPartID,
 *     certificationRequest  CertificationRequest }
 * ```
 *
 * The CertificationRequest is kept as its original DER (ANY) so that its signature is
 * verified over the bytes the client signed (x509/csr.ts).
 */
export class TaggedCertificationRequest {
  @AsnProp({ type: AsnPropTypes.Integer })
  public bodyPartID = 0;

  @AsnProp({ type: AsnPropTypes.Any })
  public certificationRequest: ArrayBuffer = new ArrayBuffer(0);

  constructor(params: Partial<TaggedCertificationRequest> = {}) {
    Object.assign(this, params);
  }
}
