import { AsnProp, AsnPropTypes, OctetString } from '@peculiar/asn1-schema';

/**
 * Why and until when a request is pending (RFC 5272 §6.1.1):
 *
 * ```asn1
 * PendInfo ::= SEQUENCE {
 *     pendToken        OCTET STRING,
 *     pendTime         GeneralizedTime }
 * ```
 *
 * AD CS puts the request ID in pendToken; Tessera does the same (4 octets, big-endian).
 */
export class PendInfo {
  @AsnProp({ type: OctetString })
  public pendToken = new OctetString();

  @AsnProp({ type: AsnPropTypes.GeneralizedTime })
  public pendTime = new Date();

  constructor(params: Partial<PendInfo> = {}) {
    Object.assign(this, params);
  }
}
