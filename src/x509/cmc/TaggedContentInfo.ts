import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';

/**
 * Nested CMS content in PKIData.cmsSequence / PKIResponse.cmsSequence
 * (RFC 5272 §3.2.1.4):
 *
 * ```asn1
 * TaggedContentInfo ::= SEQUENCE {
 *     bodyPartID              BodyPartID,
 *     contentInfo             ContentInfo }
 * ```
 */
export class TaggedContentInfo {
  @AsnProp({ type: AsnPropTypes.Integer })
  public bodyPartID = 0;

  @AsnProp({ type: AsnPropTypes.Any })
  public contentInfo: ArrayBuffer = new ArrayBuffer(0);

  constructor(params: Partial<TaggedContentInfo> = {}) {
    Object.assign(this, params);
  }
}
