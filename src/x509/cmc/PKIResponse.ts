import { AsnProp } from '@peculiar/asn1-schema';
import { OtherMsg } from './OtherMsg.js';
import { TaggedAttribute } from './TaggedAttribute.js';
import { TaggedContentInfo } from './TaggedContentInfo.js';

/**
 * The body of a CMC Full PKI Response, the eContent of a SignedData whose eContentType
 * is id-cct-PKIResponse (RFC 5272 §4.2). The issued certificates travel in the
 * SignedData `certificates` field, not here.
 *
 * ```asn1
 * id-cct-PKIResponse ::= {id-pkix id-cct(12) 3  }
 *
 * PKIResponse ::= SEQUENCE {
 *     controlSequence   SEQUENCE SIZE(0..MAX) OF TaggedAttribute,
 *     cmsSequence       SEQUENCE SIZE(0..MAX) OF TaggedContentInfo,
 *     otherMsgSequence  SEQUENCE SIZE(0..MAX) OF OtherMsg }
 * ```
 */
export class PKIResponse {
  @AsnProp({ type: TaggedAttribute, repeated: 'sequence' })
  public controlSequence: TaggedAttribute[] = [];

  @AsnProp({ type: TaggedContentInfo, repeated: 'sequence' })
  public cmsSequence: TaggedContentInfo[] = [];

  @AsnProp({ type: OtherMsg, repeated: 'sequence' })
  public otherMsgSequence: OtherMsg[] = [];

  constructor(params: Partial<PKIResponse> = {}) {
    Object.assign(this, params);
  }
}
