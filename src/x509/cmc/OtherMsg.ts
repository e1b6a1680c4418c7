import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';

/**
 * An entry of PKIData.otherMsgSequence / PKIResponse.otherMsgSequence
 * (RFC 5272 §3.2.1.5):
 *
 * ```asn1
 * OtherMsg ::= SEQUENCE {
 *     bodyPartID        BodyPartID,
 *     otherMsgType      OBJECT IDENTIFIER,
 *     otherMsgValue     ANY DEFINED BY otherMsgType }
 * ```
 */
export class OtherMsg {
  @AsnProp({ type: AsnPropTypes.Integer })
  public bodyPartID = 0;

  @AsnProp({ type: AsnPropTypes.ObjectIdentifier })
  public otherMsgType = '';

  @AsnProp({ type: AsnPropTypes.Any })
  public otherMsgValue: ArrayBuffer = new ArrayBuffer(0);

  constructor(params: Partial<OtherMsg> = {}) {
    Object.assign(this, params);
  }
}
