/**
 * certsces.asp (data-page=enroll-station): the Smart Card Enrollment Station. An
 * enrollment agent creates a key for another user — in this browser or on the user's
 * card — and submits a CMC request with RequesterName=<target> in regInfo, co-signed with
 * the agent's own key from their Enrollment Agent PKCS#12 (learn.microsoft.com "CMC EOBO
 * Request"; docs/certsrv.md §7).
 * The CA takes subject, UPN and SID from the target's directory record.
 */
import { requesterNameRegInfo } from '../../../x509/cmc/regInfo.js';
import { AgentCredentialError, loadAgentCredential } from '../agentCredential.js';
import {
  initKeyForm,
  lookAgainIfNoCard,
  prepareRequest,
  readChoices,
  runSubmission,
  submitPrepared,
} from '../enroll.js';
import { byId, PageError, setStatus } from '../ui.js';

/** `DOMAIN\user`, a user name, or a UPN. */
export function checkTarget(text: string): string | null {
  const t = text.trim();
  if (!t) return null;
  if (/^[^\s\\/]+\\[^\s\\/@]+$/.test(t) || /^[A-Za-z0-9._$-]+(@[A-Za-z0-9.-]+)?$/.test(t)) return t;
  return null;
}

export function initStation(): void {
  if (!initKeyForm({ formId: 'station', station: true, submit: onSubmit })) return;
  document.body.dataset.ready = 'true';
}

async function readFile(input: HTMLInputElement | null): Promise<Uint8Array> {
  const f = input?.files?.[0];
  if (!f) return new Uint8Array();
  return new Uint8Array(await f.arrayBuffer());
}

function onSubmit(): Promise<void> {
  return runSubmission(async () => {
    const target = checkTarget(byId<HTMLInputElement>('tbTarget')?.value ?? '');
    if (!target) throw new PageError('Enter the user to enroll, as DOMAIN\\user or a user name.', 'tbTarget');
    await lookAgainIfNoCard();
    const choices = readChoices({ station: true });
    setStatus('Opening your enrollment agent certificate…', 'working');
    let agent: Awaited<ReturnType<typeof loadAgentCredential>>;
    try {
      agent = await loadAgentCredential(
        await readFile(byId<HTMLInputElement>('fileAgentPfx')),
        byId<HTMLInputElement>('tbAgentPfxPassword')?.value ?? '',
        choices.hash,
      );
    } catch (e) {
      if (e instanceof AgentCredentialError) throw new PageError(e.message, e.field);
      throw e;
    }
    const prepared = await prepareRequest(choices, (m) => setStatus(m, 'working'), {
      regInfo: requesterNameRegInfo(target),
      agent,
      target,
    });
    setStatus(`Sending the request for ${target}, signed as enrollment agent ${agent.info.subject}…`, 'working');
    await submitPrepared(prepared, choices);
  });
}
