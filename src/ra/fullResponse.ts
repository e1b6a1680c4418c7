/**
 * Use case: the CMC full response for a request's outcome (RFC 5272 PKIResponse signed by
 * the CA) — what a CMC client over HTTP asks for (RFC 5273) and what certsrv's install
 * flow hands the page. The response answers the request's own bodyPartID and echoes the
 * transactionId / senderNonce that decoding recorded.
 */
import { cmcResponseFor, type RequestOutcome } from '../ca/buildCmcResponse.js';
import type { Tessera } from '../Tessera.js';
import { decodeRequest } from '../x509/request.js';

export async function fullResponse(t: Tessera, outcome: RequestOutcome): Promise<Buffer> {
  const stored = await t.store.requests.get(outcome.requestId);
  let bodyPartId: number | null = null;
  try {
    if (stored?.requestDer) bodyPartId = decodeRequest(stored.requestDer).bodyPartId;
  } catch {
    // A request that cannot be decoded has no bodyPartID to answer.
  }
  return cmcResponseFor(t.issuing, t.chain(), outcome, { bodyPartId, attributes: stored?.attributes ?? {} });
}
