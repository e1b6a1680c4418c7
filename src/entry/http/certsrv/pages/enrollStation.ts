/**
 * certsces.asp: the enrollment station (AD CS's "Smart Card Certificate Enrollment
 * Station"). An enrollment agent picks the user and template; the page generates the
 * user's key (in the browser, or on the user's card through the card agent), signs the
 * request with the agent's own key from their Enrollment Agent PKCS #12, and submits a
 * CMC request carrying RequesterName (learn.microsoft.com "CMC EOBO Request"; docs/certsrv.md §7).
 */
import type { Template } from '../../../../template/Template.js';
import { html } from '../html.js';
import type { Page } from '../Layout.js';
import { templateOption, templateOptions } from '../templateOption.js';
import {
  cardFieldset,
  friendlyNameInput,
  hashSelect,
  keyAlgorithmSelect,
  keySizeInput,
  submittedDataForm,
} from './advancedForm.js';

export function enrollStationPage(o: {
  templates: readonly Template[];
  domain: string;
  csrf: string;
  agentUrl?: string;
}): Page {
  return {
    id: 'enroll-station',
    title: 'Enrollment Station',
    bundle: true,
    body: html`<p>Enroll a smart card or a certificate on behalf of another user. The certificate carries that user's \
names and SID from the directory; the request is signed with your Enrollment Agent certificate, and the enrollment \
agent restrictions decide whom you may enroll.</p>
<noscript><p class="error">The enrollment station needs JavaScript to create keys and sign requests. Without it, use \
<code>tessera enroll-on-behalf</code>.</p></noscript>
<form id="station" name="station" novalidate>
<fieldset><legend>User and certificate</legend>
<label for="tbTarget">User (${o.domain}\\user or user name)</label> \
<input id="tbTarget" name="tbTarget" required autocomplete="off">
<label for="lbCertTemplate">Certificate template</label>
<select id="lbCertTemplate" name="lbCertTemplate">${templateOptions(o.templates.map((t) => templateOption(t)))}</select>
</fieldset>
<fieldset><legend>The user's key</legend>
<label for="lbCSP">Key provider</label>
<select id="lbCSP" name="lbCSP"><option value="browser">Browser key (WebCrypto), handed over as a PKCS #12 \
file</option><option value="card">The user's smart card (card agent)</option></select>
${cardFieldset(o.agentUrl)}
${keyAlgorithmSelect()}
${keySizeInput()}
</fieldset>
<fieldset><legend>Your enrollment agent certificate</legend>
<label for="fileAgentPfx">Enrollment Agent PKCS #12 file</label> \
<input type="file" id="fileAgentPfx" name="fileAgentPfx" accept=".p12,.pfx">
<label for="tbAgentPfxPassword">Its password</label> <input id="tbAgentPfxPassword" name="tbAgentPfxPassword" \
type="password" autocomplete="off">
</fieldset>
<fieldset><legend>Additional Options</legend>
${hashSelect()}
${friendlyNameInput()}
</fieldset>
<p><button type="button" id="btnSubmit">Enroll</button></p>
</form>
${submittedDataForm(o.csrf)}`,
  };
}
