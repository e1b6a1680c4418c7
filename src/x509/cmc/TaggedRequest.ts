import { AsnProp, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { CertReqMsg } from './CertReqMsg.js';
import { OtherReqMsg } from './OtherReqMsg.js';
import { TaggedCertificationRequest } from './TaggedCertificationRequest.js';

/**
 * One request in PKIData.reqSequence (RFC 5272 §3.2.1.3):
 *
 * ```asn1
 * TaggedRequest ::= CHOICE {
 *     tcr   [0] IMPLICIT TaggedCertificationRequest,   -- PKCS#10
 *     crm   [1] IMPLICIT CertReqMsg,                   -- CRMF (RFC 4211)
 *     orm   [2] IMPLICIT SEQUENCE { ... } }            -- other
 * ```
 *
 * Windows CertEnroll only ever writes `tcr` (learn.microsoft.com IX509CertificateRequestCmc).
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class TaggedRequest {
  @AsnProp({ type: TaggedCertificationRequest, context: 0, implicit: true })
  public tcr?: TaggedCertificationRequest;

  @AsnProp({ type: CertReqMsg, context: 1, implicit: true })
  public crm?: CertReqMsg;

  @AsnProp({ type: OtherReqMsg, context: 2, implicit: true })
  public orm?: OtherReqMsg;

  constructor(params: Partial<TaggedRequest> = {}) {
    Object.assign(this, params);
  }
}
