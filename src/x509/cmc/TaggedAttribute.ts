import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';

/**
 * A CMC control (RFC 5272 §3.2.1.2):
 *
 * ```asn1
 * TaggedAttribute ::= SEQUENCE {
 *     bodyPartID         BodyPartID,
 *     attrType           OBJECT IDENTIFIER,
 *     attrValues         SET OF AttributeValue }
 *
 * AttributeValue ::= ANY
 * BodyPartID ::= INTEGER(0..4294967295)
 * ```
 */
export class TaggedAttribute {
  @AsnProp({ type: AsnPropTypes.Integer })
  public bodyPartID = 0;

  @AsnProp({ type: AsnPropTypes.ObjectIdentifier })
  public attrType = '';

  @AsnProp({ type: AsnPropTypes.Any, repeated: 'set' })
  public attrValues: ArrayBuffer[] = [];

  constructor(params: Partial<TaggedAttribute> = {}) {
    Object.assign(this, params);
  }
}
