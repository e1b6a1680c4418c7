/**
 * CMC full PKI request (RFC 5272 §3.2) around a card-signed PKCS#10, through the shared
 * browser-safe builder (x509/cmc/buildCmcRequest.ts): the proof-of-possession SignerInfo
 * is signed on the card with the new key, like certreq does with a smart card KSP. For
 * enroll on behalf, the RequesterName regInfo control and the enrollment agent's
 * co-signature (made with a key file or on the agent's own card) come along.
 */
import { buildCmcRequest, type CmcAgentSigner } from '../../x509/cmc/buildCmcRequest.js';
import { REQUEST_HASH, type CardHash } from '../../card/cardKeys.js';

export interface CardCmcInput {
  readonly csr: Uint8Array;
  readonly spki: Uint8Array;
  readonly keyKind: 'rsa' | 'ec';
  readonly hash: CardHash;
  readonly sign: (data: Uint8Array) => Promise<Uint8Array>;
  /** id-cmc-regInfo, e.g. requesterNameRegInfo('TESSERA\\bob'). */
  readonly regInfo?: string;
  /** The enrollment agent's co-signature (enroll on behalf). */
  readonly agent?: CmcAgentSigner;
}

export function buildCardCmc(i: CardCmcInput): Promise<Uint8Array> {
  return buildCmcRequest({
    csr: i.csr,
    spki: i.spki,
    keyKind: i.keyKind,
    hash: REQUEST_HASH[i.hash],
    sign: i.sign,
    regInfo: i.regInfo,
    agent: i.agent,
  });
}
