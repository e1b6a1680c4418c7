/**
 * certrqma.asp (data-page=request-advanced): the advanced request form of the seed's step
 * 7 — template, key options (browser key or smart card through the card agent), request
 * format, hash, attributes, friendly name — and Submit (steps 8–10).
 */
import {
  initKeyForm,
  lookAgainIfNoCard,
  prepareRequest,
  readChoices,
  runSubmission,
  submitPrepared,
  syncContainerName,
} from '../enroll.js';
import { radios, setStatus } from '../ui.js';

export function initAdvanced(): void {
  if (!initKeyForm({ formId: 'advanced', submit: onSubmit })) return;
  for (const r of radios('rbGenContName')) r.addEventListener('change', syncContainerName);
  syncContainerName();
  // "Use existing key set" would need the card agent to sign with a key already on the card; it does not.
  for (const r of radios('rbKeyGen')) {
    if (r.value === '1') {
      r.disabled = true;
      r.title = 'Tessera creates a new key for every request';
    }
  }
  document.body.dataset.ready = 'true';
}

function onSubmit(): Promise<void> {
  return runSubmission(async () => {
    await lookAgainIfNoCard();
    const choices = readChoices();
    const prepared = await prepareRequest(choices, (m) => setStatus(m, 'working'));
    setStatus('Sending the request to the certification authority…', 'working');
    await submitPrepared(prepared, choices);
  });
}
