import { AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { PendInfo } from './PendInfo.js';

/** The untagged `otherInfo` CHOICE of CMCStatusInfo (RFC 5272 §6.1.1). */
@AsnType({ type: AsnTypeTypes.Choice })
export class CMCStatusInfoOtherInfo {
  @AsnProp({ type: AsnPropTypes.Integer })
  public failInfo?: number;

  @AsnProp({ type: PendInfo })
  public pendInfo?: PendInfo;

  constructor(params: Partial<CMCStatusInfoOtherInfo> = {}) {
    Object.assign(this, params);
  }
}

/**
 * The Status Information control, id-cmc-statusInfo (RFC 5272 §6.1.1). Windows clients
 * read this (version 1) form in the full response (certsrv install flow,
 * docs/certsrv.md §4), so Tessera writes it rather than CMCStatusInfoV2.
 *
 * ```asn1
 * id-cmc-statusInfo ::= {id-cmc 1}
 *
 * CMCStatusInfo ::= SEQUENCE {
 *     cMCStatus       CMCStatus,
 *     bodyList        SEQUENCE SIZE (1..MAX) OF BodyPartID,
 *     statusString    UTF8String OPTIONAL,
 *     otherInfo       CHOICE {
 *       failInfo       CMCFailInfo,
 *       pendInfo       PendInfo } OPTIONAL }
 * ```
 */
export class CMCStatusInfo {
  @AsnProp({ type: AsnPropTypes.Integer })
  public cMCStatus = 0;

  @AsnProp({ type: AsnPropTypes.Integer, repeated: 'sequence' })
  public bodyList: number[] = [];

  @AsnProp({ type: AsnPropTypes.Utf8String, optional: true })
  public statusString?: string;

  @AsnProp({ type: CMCStatusInfoOtherInfo, optional: true })
  public otherInfo?: CMCStatusInfoOtherInfo;

  constructor(params: Partial<CMCStatusInfo> = {}) {
    Object.assign(this, params);
  }
}
