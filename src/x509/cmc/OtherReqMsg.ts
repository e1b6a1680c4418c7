import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';

/**
 * The third TaggedRequest alternative (RFC 5272 §3.2.1.3, the `orm` choice):
 *
 * ```asn1
 * orm [2] IMPLICIT SEQUENCE {
 *     bodyPartID           BodyPartID,
 *     requestMessageType   OBJECT IDENTIFIER,
 *     requestMessageValue  ANY DEFINED BY requestMessageType }
 * ```
 */
export class OtherReqMsg {
  @AsnProp({ type: AsnPropTypes.Integer })
  public bodyPartID = 0;

  @AsnProp({ type: AsnPropTypes.ObjectIdentifier })
  public requestMessageType = '';

  @AsnProp({ type: AsnPropTypes.Any })
  public requestMessageValue: ArrayBuffer = new ArrayBuffer(0);

  constructor(params: Partial<OtherReqMsg> = {}) {
    Object.assign(this, params);
  }
}
