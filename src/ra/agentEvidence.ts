/**
 * Enroll on behalf of: which verified enrollment agent signatures a request carries,
 * and whether the agent restrictions allow them for this target and template.
 * Filled in by the enrollment agent issue (#5); until then no signature counts.
 */
import type { DirectoryUser } from '../directory/Directory.js';
import type { AgentSignature } from '../policy/PolicyInput.js';
import type { Template } from '../template/Template.js';
import type { Tessera } from '../Tessera.js';
import type { DecodedRequest } from '../x509/request.js';

export interface AgentEvidence {
  readonly signatures: readonly AgentSignature[];
  readonly permitted: boolean;
  readonly notes: readonly string[];
}

export async function agentEvidence(_t: Tessera, req: DecodedRequest, _subject: DirectoryUser, _template: Template | undefined): Promise<AgentEvidence> {
  return { signatures: [], permitted: false, notes: req.signers.length ? ['enrollment agent signatures are not supported yet'] : [] };
}
