/**
 * certrqma.asp, the advanced request form with the seed's options (docs/certsrv.md §2,
 * §8). Our page script (src/client/web) generates the key — in the browser or on a
 * card through the card agent — builds and signs the request there, and posts the
 * hidden SubmittedData form to certfnsh.asp, the same fields AD CS's page posted.
 */
import type { Template } from '../../../../template/Template.js';
import { DEFAULT_CARD_AGENT_URL } from '../../../../config/webSettings.js';
import { html } from '../html.js';
import type { Page } from '../Layout.js';
import { templateOption, templateOptions } from '../templateOption.js';

export function submittedDataForm(csrf: string) {
  return html`<form id="SubmittedData" name="SubmittedData" method="post" action="certfnsh.asp">
<input type="hidden" name="Mode" value="newreq">
<input type="hidden" name="CertRequest" value="">
<input type="hidden" name="CertAttrib" value="">
<input type="hidden" name="FriendlyType" value="">
<input type="hidden" name="ThumbPrint" value="">
<input type="hidden" name="TargetStoreFlags" value="0">
<input type="hidden" name="SaveCert" value="no">
<input type="hidden" name="csrf" value="${csrf}">
</form>`;
}

export function cardFieldset(agentUrl: string = DEFAULT_CARD_AGENT_URL) {
  return html`<fieldset id="cardOptions" hidden>
<legend>Smart card</legend>
<p class="hint">The card is reached through the Tessera card agent on this computer (<code>tessera card-agent \
--allow-origin &lt;this site&gt;</code>). Your PIN is sent only to the agent, never to the CA.</p>
<label for="tbAgentUrl">Card agent</label> <input id="tbAgentUrl" name="tbAgentUrl" value="${agentUrl}" size="30">
<label for="lbCard">Card</label> <select id="lbCard" name="lbCard"><option value="">(no card found yet)</option>\
</select>
<button type="button" id="btnRefreshCards">Find cards</button>
<label for="tbPin">PIN</label> <input id="tbPin" name="tbPin" type="password" autocomplete="off" inputmode="numeric">
</fieldset>`;
}

export function hashSelect() {
  return html`<label for="lbHashAlgorithm">Hash algorithm</label>
<select id="lbHashAlgorithm" name="lbHashAlgorithm" aria-describedby="hashNote">
<option value="sha1">sha1</option>
<option value="sha256" selected>sha256</option>
<option value="sha384">sha384</option>
<option value="sha512">sha512</option>
</select>
<p class="hint" id="hashNote">Only used to sign the request. The CA signs every certificate with SHA-256 or stronger; \
SHA-1 is accepted as proof of possession only.</p>`;
}

/** The key algorithm list and the RSA key size: the page script reads both to generate the key. */
export function keyAlgorithmSelect() {
  return html`<label for="lbKeyAlg">Key algorithm</label>
<select id="lbKeyAlg" name="lbKeyAlg"><option value="rsa" selected>RSA</option>\
<option value="P-256">ECDSA P-256</option><option value="P-384">ECDSA P-384</option></select>`;
}

export function keySizeInput() {
  return html`<label for="tbKeySize">Key size</label> <input id="tbKeySize" name="tbKeySize" type="number" \
value="2048" min="2048" max="16384" step="1024">`;
}

export function friendlyNameInput() {
  return html`<label for="tbFriendlyName">Friendly name</label> \
<input id="tbFriendlyName" name="tbFriendlyName" maxlength="128">`;
}

/** The request attributes box (certreq -attrib lines), read by the page script or posted as taAttrib. */
export function attributesField(label: string) {
  return html`<label for="taAttrib">${label}</label>
<textarea id="taAttrib" name="taAttrib" rows="3" cols="50" maxlength="4000"></textarea>`;
}

/**
 * The template the form starts with: the one the link names (?template=), else the first
 * the user may request here in the catalog's order (template/catalogOrder.ts) — the
 * browser would otherwise pick the first option, whatever the catalog puts first.
 */
function preselected(templates: readonly Template[], wanted: string | undefined): string | undefined {
  const here = templates.filter((t) => t.issuance.agentSignatures === 0);
  return (here.find((t) => t.name === wanted) ?? here[0])?.name;
}

export function advancedFormPage(o: {
  templates: readonly Template[];
  selected?: string;
  csrf: string;
  agentUrl?: string;
}): Page {
  const selected = preselected(o.templates, o.selected);
  const options = o.templates.map((t) =>
    templateOption(t, { selected: t.name === selected, disableAgentTemplates: true }),
  );
  const agentOnly = o.templates.filter((t) => t.issuance.agentSignatures > 0);
  return {
    id: 'request-advanced',
    title: 'Advanced Certificate Request',
    bundle: true,
    body: html`<noscript><p class="error">Creating a key needs JavaScript in this browser. Without it you can still \
<a href="certrqxt.asp">submit a request made elsewhere</a> (for example with <code>tessera enroll</code> or \
certreq).</p></noscript>
<form id="advanced" name="advanced" novalidate>
<fieldset>
<legend>Certificate Template</legend>
<label for="lbCertTemplate">Certificate template</label>
<select id="lbCertTemplate" name="lbCertTemplate">${templateOptions(options)}</select>
${
  agentOnly.length
    ? html`<p class="hint" id="agentNote">${agentOnly.map((t) => t.displayName).join(', ')} \
${agentOnly.length > 1 ? 'need' : 'needs'} an enrollment agent's signature, so \
${agentOnly.length > 1 ? 'they cannot' : 'it cannot'} be requested here: ask your help desk to enroll you at the \
<a href="certsces.asp">enrollment station</a>, or use <code>tessera enroll-on-behalf</code>.</p>`
    : ''
}
</fieldset>
<fieldset>
<legend>Key Options</legend>
<div role="radiogroup" aria-label="Key set">
<input type="radio" id="rbKeyGen0" name="rbKeyGen" value="0" checked> <label for="rbKeyGen0">Create new key set</label>
<input type="radio" id="rbKeyGen1" name="rbKeyGen" value="1" disabled aria-describedby="keyGenNote"> \
<label for="rbKeyGen1">Use existing key set</label>
<p class="hint" id="keyGenNote">Each request gets a new key: reusing a key already on a card is not offered, so a lost \
or revoked certificate never keeps its key alive.</p>
</div>
<label for="lbCSP">Key provider (CSP)</label>
<select id="lbCSP" name="lbCSP">
<option value="browser">Browser key (WebCrypto)</option>
<option value="card">Smart card (card agent)</option>
</select>
${cardFieldset(o.agentUrl)}
${keyAlgorithmSelect()}
<div role="radiogroup" aria-label="Key usage">
<span class="label">Key usage</span>
<input type="radio" id="rbKeyUsage0" name="rbKeyUsage" value="0" checked> <label for="rbKeyUsage0">Exchange</label>
<input type="radio" id="rbKeyUsage1" name="rbKeyUsage" value="1"> <label for="rbKeyUsage1">Signature</label>
<input type="radio" id="rbKeyUsage2" name="rbKeyUsage" value="2"> <label for="rbKeyUsage2">Both</label>
</div>
${keySizeInput()}
<div role="radiogroup" aria-label="Key container name">
<input type="radio" id="rbGenContName0" name="rbGenContName" value="0" checked> <label for="rbGenContName0">Automatic \
key container name</label>
<input type="radio" id="rbGenContName1" name="rbGenContName" value="1"> <label for="rbGenContName1">User specified key \
container name</label>
<label for="tbContainerName" class="sr-only">Container name</label> \
<input id="tbContainerName" name="tbContainerName" maxlength="64">
</div>
<input type="checkbox" id="cbMarkKeyExportable" name="cbMarkKeyExportable"> <label for="cbMarkKeyExportable">Mark key \
as exportable (browser keys only: keep it in this browser after installing)</label>
</fieldset>
<fieldset>
<legend>Additional Options</legend>
<div role="radiogroup" aria-label="Request format">
<span class="label">Request format</span>
<input type="radio" id="rbRequestFormat0" name="rbRequestFormat" value="0" checked> \
<label for="rbRequestFormat0">CMC</label>
<input type="radio" id="rbRequestFormat1" name="rbRequestFormat" value="1"> <label for="rbRequestFormat1">PKCS10</label>
</div>
${hashSelect()}
${attributesField('Attributes')}
${friendlyNameInput()}
</fieldset>
<p><button type="button" id="btnSubmit">Submit</button></p>
</form>
${submittedDataForm(o.csrf)}`,
  };
}
