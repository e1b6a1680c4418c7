import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';

/**
 * A CRMF request (RFC 4211 §3). Tessera does not issue from CRMF; the structure is
 * decoded only far enough to recognise it and refuse it with CMC_CRMF_UNSUPPORTED.
 *
 * ```asn1
 * CertReqMsg ::= SEQUENCE {
 *     certReq   CertRequest,
 *     popo      ProofOfPossession  OPTIONAL,
 *     regInfo   SEQUENCE SIZE(1..MAX) OF AttributeTypeAndValue OPTIONAL }
 * ```
 */
export class CertReqMsg {
  @AsnProp({ type: AsnPropTypes.Any })
  public certReq: ArrayBuffer = new ArrayBuffer(0);

  @AsnProp({ type: AsnPropTypes.Any, optional: true })
  public popo?: ArrayBuffer;

  @AsnProp({ type: AsnPropTypes.Any, optional: true })
  public regInfo?: ArrayBuffer;

  constructor(params: Partial<CertReqMsg> = {}) {
    Object.assign(this, params);
  }
}
