/**
 * Use case: a new certificate request (AD CS ICertRequest::Submit). Every request gets
 * an integer request ID and a stored disposition, whatever happens to it.
 *
 * Steps (docs/issuance.md):
 *   1. decode the bytes (PEM / base64 / DER) and the request format, verify the PKCS#10
 *      signature with its own key;
 *   2. resolve the template: explicit parameter, else `CertificateTemplate:` attribute,
 *      else the request's template extension or name-value pair;
 *   3. resolve the subject account (the requester, or the RequesterName target of an
 *      enrollment agent) and gather the facts policy needs;
 *   4. policy decides issue / pend / deny (policy/verifyRequest.ts);
 *   5. prepare and lint the certificate (ca/CertificateAuthority.ts prepare);
 *   6. record intent: request `issuing` + serial reserved with the TBS, one commit;
 *   7. sign, once;
 *   8. release: certificate and request `issued` in one audited commit;
 *   9. exit modules, after the commit (steps 5–9: ra/recordDecision.ts).
 */
import { createHash } from 'node:crypto';
import type { DirectoryUser } from '../directory/Directory.js';
import { asTesseraError } from '../errors/TesseraError.js';
import type { PolicyInput } from '../policy/PolicyInput.js';
import { verifyRequest } from '../policy/verifyRequest.js';
import type { Template } from '../template/Template.js';
import type { Tessera } from '../Tessera.js';
import { decodeRequestBytes } from '../x509/pem.js';
import { decodeRequestAsync, type DecodedRequest } from '../x509/request.js';
import type { Actor } from './Actor.js';
import { agentEvidence } from './agentEvidence.js';
import { parseAttributes } from './parseAttributes.js';
import { recordDecision, recordFailure, type SubmitResult } from './recordDecision.js';

export interface SubmitInput {
  /** The request as received: DER bytes, PEM, or base64 text. */
  readonly request: Uint8Array | string;
  /** An explicit template parameter (REST `template`, CLI `--template`). */
  readonly template?: string;
  /** CertAttrib text or a name→value map. */
  readonly attributes?: string | Readonly<Record<string, string>>;
  /** The authenticated submitter. */
  readonly requester: DirectoryUser;
  /** Where the request came from (client address, or "cli"). */
  readonly source: string | null;
}

/** Requests larger than this are recorded by hash only (the HTTP entries cap bodies at 64 KB). */
const MAX_STORED_REQUEST = 64 * 1024;

export async function submit(t: Tessera, input: SubmitInput): Promise<SubmitResult> {
  const started = performance.now();
  const actor: Actor = { kind: 'user', user: input.requester, source: input.source };
  const raw = typeof input.request === 'string' ? Buffer.from(input.request, 'utf8') : Buffer.from(input.request);
  const base = {
    submittedAt: t.now(),
    requester: input.requester.username,
    requestSha256: createHash('sha256').update(raw).digest('hex'),
    source: input.source,
  };
  let attributes: Record<string, string> = {};
  let decoded: DecodedRequest;
  try {
    attributes = parseAttributes(input.attributes);
    // Step 1.
    const der = decodeRequestBytes(input.request);
    decoded = await decodeRequestAsync(der);
    attributes = { ...decoded.attributes, ...attributes };
  } catch (e) {
    const err = asTesseraError(e, 'REQUEST_MALFORMED');
    if (err.code === 'INTERNAL') throw err;
    return recordFailure(
      t,
      actor,
      {
        ...base,
        subjectUser: null,
        agent: null,
        template: input.template ?? attributes.certificatetemplate ?? null,
        format: 'unknown',
        requestDer: raw.length <= MAX_STORED_REQUEST ? raw : null,
        attributes: safeAttributes(attributes),
        disposition: 'denied',
        code: err.code,
        message: err.message,
      },
      err.detail,
    );
  }

  // Step 2.
  const { name: templateName, template } = await resolveTemplate(t, input.template, attributes, decoded);
  // Step 3.
  const notes: string[] = [];
  let subject = input.requester;
  let agent: string | null = null;
  if (attributes.requestername !== undefined)
    notes.push(
      `RequesterName attribute "${attributes.requestername}" ignored: ` +
        'only a signed enrollment agent request can name a target',
    );
  if (decoded.requesterName !== null) {
    if (decoded.signers.length === 0) {
      notes.push(`RequesterName "${decoded.requesterName}" in a self-service request ignored`);
    } else {
      const target = await t.directory.findUser(decoded.requesterName);
      if (!target) {
        return recordDecision(
          t,
          actor,
          decoded,
          {
            ...base,
            subjectUser: null,
            agent: input.requester.username,
            template: templateName,
            attributes: safeAttributes(attributes),
          },
          {
            kind: 'deny',
            code: 'USER_UNKNOWN',
            detail: `RequesterName ${decoded.requesterName}`,
            notes,
          },
          started,
        );
      }
      subject = target;
      agent = input.requester.username;
    }
  }
  const evidence = await agentEvidence(t, decoded, subject, template, input.requester);
  notes.push(...evidence.notes);
  const policyInput: PolicyInput = {
    request: decoded,
    templateName,
    template,
    requester: input.requester,
    subject,
    agentSignatures: evidence.signatures,
    agentPermitted: evidence.permitted,
    attributes,
    nameOwners: await nameOwners(t, subject, template),
    approvedBy: null,
  };
  // Step 4.
  const decision = verifyRequest(policyInput);
  const withNotes = { ...decision, notes: [...notes, ...decision.notes] };
  return recordDecision(
    t,
    actor,
    decoded,
    {
      ...base,
      subjectUser: subject.username,
      agent,
      template: template?.name ?? templateName,
      attributes: safeAttributes(attributes),
    },
    withNotes,
    started,
  );
}

export async function resolveTemplate(
  t: Tessera,
  explicit: string | undefined,
  attributes: Readonly<Record<string, string>>,
  decoded: DecodedRequest,
): Promise<{ name: string | null; template: Template | undefined }> {
  const ms = decoded.csr.microsoft;
  const pair = ms.nameValuePairs.find(([n]) => n.toLowerCase() === 'certificatetemplate')?.[1];
  const name = explicit?.trim() || attributes.certificatetemplate?.trim() || ms.templateName || pair || null;
  if (name) return { name, template: await t.templates.get(name) };
  if (ms.templateOid) {
    const template = await t.templates.byOid(ms.templateOid);
    return { name: template?.name ?? ms.templateOid, template };
  }
  return { name: null, template: undefined };
}

/** Accounts holding the names the certificate would carry (Certifried uniqueness check). */
export async function nameOwners(
  t: Tessera,
  subject: DirectoryUser,
  template: Template | undefined,
): Promise<PolicyInput['nameOwners']> {
  if (template?.subjectName.source !== 'directory') return { upn: [], email: [] };
  const upnOwner = template.san.upn && subject.upn ? await t.directory.findUserByUpn(subject.upn) : undefined;
  const email =
    (template.san.email || template.subjectName.includeEmail) && subject.email
      ? await t.directory.findUsersByEmail(subject.email)
      : [];
  return { upn: upnOwner ? [upnOwner] : [], email };
}

/** Attributes as stored: bounded, so a request cannot bloat its row. */
function safeAttributes(a: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a).slice(0, 32)) out[k] = v.slice(0, 512);
  return out;
}
