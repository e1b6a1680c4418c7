import { Attribute } from '@peculiar/asn1-cms';
import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';

/**
 * Microsoft's CMC control szOID_CMC_ADD_ATTRIBUTES (1.3.6.1.4.1.311.10.10.1), which
 * carries request attributes such as Client Information (1.3.6.1.4.1.311.21.20) in
 * Windows CMC requests and the issued-certificate hash in AD CS full responses
 * (learn.microsoft.com "CMC Attributes"; wincrypt.h CMC_ADD_ATTRIBUTES_INFO):
 *
 * ```asn1
 * CmcAddAttributes ::= SEQUENCE {
 *     pkiDataReference        BodyPartID,
 *     certReferences          BodyPartIDSequence,
 *     attributes              Attributes }
 *
 * BodyPartIDSequence ::= SEQUENCE OF BodyPartID
 * Attributes ::= SET OF Attribute
 * ```
 */
export class CmcAddAttributesInfo {
  @AsnProp({ type: AsnPropTypes.Integer })
  public pkiDataReference = 0;

  @AsnProp({ type: AsnPropTypes.Integer, repeated: 'sequence' })
  public certReferences: number[] = [];

  @AsnProp({ type: Attribute, repeated: 'set' })
  public attributes: Attribute[] = [];

  constructor(params: Partial<CmcAddAttributesInfo> = {}) {
    Object.assign(this, params);
  }
}
