import { AsnProp } from '@peculiar/asn1-schema';
import { OtherMsg } from './OtherMsg.js';
import { TaggedAttribute } from './TaggedAttribute.js';
import { TaggedContentInfo } from './TaggedContentInfo.js';
import { TaggedRequest } from './TaggedRequest.js';

/**
 * The body of a CMC Full PKI Request, carried as the eContent of a SignedData whose
 * eContentType is id-cct-PKIData (RFC 5272 §3.2.1):
 *
 * ```asn1
 * id-cct-PKIData ::= {id-pkix id-cct(12) 2 }
 *
 * PKIData ::= SEQUENCE {
 *     controlSequence    SEQUENCE SIZE(0..MAX) OF TaggedAttribute,
 *     reqSequence        SEQUENCE SIZE(0..MAX) OF TaggedRequest,
 *     cmsSequence        SEQUENCE SIZE(0..MAX) OF TaggedContentInfo,
 *     otherMsgSequence   SEQUENCE SIZE(0..MAX) OF OtherMsg }
 * ```
 */
export class PKIData {
  @AsnProp({ type: TaggedAttribute, repeated: 'sequence' })
  public controlSequence: TaggedAttribute[] = [];

  @AsnProp({ type: TaggedRequest, repeated: 'sequence' })
  public reqSequence: TaggedRequest[] = [];

  @AsnProp({ type: TaggedContentInfo, repeated: 'sequence' })
  public cmsSequence: TaggedContentInfo[] = [];

  @AsnProp({ type: OtherMsg, repeated: 'sequence' })
  public otherMsgSequence: OtherMsg[] = [];

  constructor(params: Partial<PKIData> = {}) {
    Object.assign(this, params);
  }
}
