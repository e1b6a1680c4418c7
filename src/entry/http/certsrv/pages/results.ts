/**
 * The result pages certfnsh.asp answers with, always HTTP 200 (docs/certsrv.md §3).
 * The lines clients parse are written exactly in the shapes of docs/certsrv.md §5:
 *  - issued: `certnew.cer?ReqID=N&` in the first line containing "ReqID=", whose fourth
 *    "="-field starts with N (bgstack certreq.sh), the DER/Base 64 links for every parser,
 *    and — after them — a `function handleGetCert() {` block whose next line holds
 *    `location="certnew.cer?ReqID=N&"` (curl scripts, impacket);
 *  - pending: "Certificate Pending" and "Your Request Id is N.";
 *  - denied: "Certificate Request Denied" and `The disposition message is "…"`;
 *  - error: `Disposition message:` / `LastStatus:` items followed by two tabs and the text.
 */
import { DEFAULT_CARD_AGENT_URL } from '../../../../config/webSettings.js';
import type { ErrorCode } from '../../../../errors/registry.js';
import { escapeHtml, html, raw, type SafeHtml } from '../html.js';
import type { Page } from '../Layout.js';
import { resultText } from '../dispositionMessage.js';

export interface IssuedView {
  readonly requestId: number;
  readonly thumbprint: string;
  /** SaveCert=no: the page installs (browser key → PKCS#12, card key → card). */
  readonly install: boolean;
  readonly certificate: Buffer;
  readonly chain: readonly Buffer[];
  readonly friendlyType: string;
  readonly templateName: string | null;
  /** Where the key is: known for a new request, 'unknown' when a pending request is checked later. */
  readonly keyLocation: 'browser' | 'card' | 'unknown';
  /** Set when an enrollment agent enrolled someone else: whose certificate it is. */
  readonly onBehalfOf?: string | null;
  /** The CMC full response (PKIResponse signed by the CA), as AD CS embeds it for its installer. */
  readonly fullResponse?: Buffer;
  /** The card agent address offered until the browser remembers another (web.cardAgentUrl). */
  readonly agentUrl?: string;
}

/** The inline script clients grep; the id is an integer we produced. */
export function handleGetCertScript(id: number): string {
  return [
    '\tfunction handleGetCert() {',
    `\t\tlocation="certnew.cer?ReqID=${id}&"+getEncoding();`,
    '\t}',
    '\tfunction handleGetChain() {',
    `\t\tlocation="certnew.p7b?ReqID=${id}&"+getEncoding();`,
    '\t}',
    '\tfunction getEncoding() {',
    '\t\tvar b = document.getElementById("rbB64Enc");',
    '\t\tif (b && b.checked) return "Enc=b64";',
    '\t\treturn "Enc=bin";',
    '\t}',
  ].join('\n');
}

/** The block every result page wraps its text in; client/web/pages/result.ts reads its data attributes. */
function resultBlock(
  disposition: 'issued' | 'pending' | 'denied' | 'error',
  requestId: number | '',
  thumbprint: string,
  content: SafeHtml,
): SafeHtml {
  return html`<div id="result" data-req-id="${requestId}" data-thumbprint="${thumbprint}" \
data-disposition="${disposition}">
${content}
</div>`;
}

export function issuedPage(v: IssuedView): Page {
  const id = v.requestId;
  const data = JSON.stringify({
    certificate: v.certificate.toString('base64'),
    chain: v.chain.map((c) => c.toString('base64')),
    friendlyType: v.friendlyType,
    templateName: v.templateName,
    ...(v.fullResponse ? { fullResponse: v.fullResponse.toString('base64') } : {}),
  }).replace(/</g, '\\u003c');
  const browserInstall = html`<div id="installBrowser"><p>Your key never left this browser. Installing saves it with \
the certificate and the CA chain in a password-protected PKCS #12 file (.p12), which you can import into your \
operating system, browser or smart card tools.</p>
<label for="tbPfxPassword">Password for the file</label> <input id="tbPfxPassword" type="password" \
autocomplete="new-password" minlength="8">
<label for="tbPfxPassword2">Password again</label> <input id="tbPfxPassword2" type="password" \
autocomplete="new-password" minlength="8">
</div>`;
  const cardInstall = html`<div id="installCard"><p>The certificate is written to your smart card next to its key. \
Enter the card PIN; it is sent only to the card agent on this computer.</p>
<label for="tbPin">PIN</label> <input id="tbPin" type="password" autocomplete="off" inputmode="numeric">
<label for="tbAgentUrl">Card agent</label> <input id="tbAgentUrl" value="${v.agentUrl ?? DEFAULT_CARD_AGENT_URL}" \
size="30"></div>`;
  // A request checked later (chkpnd) does not say where its key is; the page script knows
  // from what it stored, and shows the part that applies.
  const installUi = v.install
    ? html`<section id="install" aria-labelledby="installTitle" data-key="${v.keyLocation}">\
<h2 id="installTitle">Install this certificate</h2>
${v.keyLocation !== 'card' ? browserInstall : ''}${v.keyLocation !== 'browser' ? cardInstall : ''}
<p><button type="button" id="btnInstall">Install this certificate</button></p></section>`
    : '';
  // The download lines are raw so their shape is exact; the id is our own integer.
  const downloads = raw(
    '<form name="UIForm" class="downloads"><p><input type="radio" id="rbDerEnc" ' +
      'name="rbEncoding" checked> <label for="rbDerEnc">DER encoded</label> or <input type="radio" ' +
      `id="rbB64Enc" name="rbEncoding"> <label for="rbB64Enc">Base 64 encoded</label></p>\n` +
      `<p><span id=dlCert>Download certificate: </span><a href="certnew.cer?ReqID=${id}&amp;Enc=bin">DER ` +
      `Encoded</a> or <a href="certnew.cer?ReqID=${id}&amp;Enc=b64">Base 64 encoded</a><br>\n` +
      `<span id=dlChain>Download certificate chain: </span><a href="certnew.p7b?ReqID=${id}&amp;Enc=bin">DER ` +
      `Encoded</a> or <a href="certnew.p7b?ReqID=${id}&amp;Enc=b64">Base 64 encoded</a></p></form>\n`,
  );
  return {
    id: 'result-issued',
    title: 'Certificate Issued',
    bundle: v.install,
    script: handleGetCertScript(id),
    body: html`${resultBlock(
      'issued',
      id,
      v.thumbprint,
      html`<p id="locInfo">${
        v.onBehalfOf
          ? `The certificate you requested on behalf of ${v.onBehalfOf} was issued.`
          : 'The certificate you requested was issued to you.'
      }</p>
${installUi}
${downloads}
<p class="hint">If this CA is not trusted yet, <a \
href="certnew.cer?ReqID=CACert&amp;Renewal=0&amp;Mode=inst&amp;Enc=b64">install the CA certificate</a> (compare its \
fingerprint with the one your administrator published).</p>`,
    )}
<script type="application/json" id="issuedData">${raw(data)}</script>`,
  };
}

export function pendingPage(o: { requestId: number; thumbprint: string; stillPending: boolean }): Page {
  return {
    id: 'result-pending',
    title: 'Certificate Pending',
    bundle: true,
    body: resultBlock(
      'pending',
      o.requestId,
      o.thumbprint,
      html`<p id="locInfoNewReq">${
        o.stillPending
          ? 'Your certificate request is still pending. You must wait ' +
            'for an administrator to issue the certificate you requested.'
          : 'Your certificate request has been received. However, you must ' +
            'wait for an administrator to issue the certificate you requested.'
      }</p>
<p id="locInfoReqID">Your Request Id is ${o.requestId}.</p>
<p>Come back to <a href="certckpn.asp">View the status of a pending certificate request</a> with this browser within \
10 days to install the certificate once it is issued: the key stays in this browser (or on your card) until then.</p>`,
    ),
  };
}

export function deniedPage(o: { requestId: number; message: string; revoked?: boolean; thumbprint?: string }): Page {
  return {
    id: 'result-denied',
    title: 'Certificate Request Denied',
    // The page script removes the key this browser made for a refused request.
    bundle: true,
    body: resultBlock(
      'denied',
      o.requestId,
      o.thumbprint ?? '',
      html`<p id="locDenied">${
        o.revoked ? 'Your certificate was issued, and then revoked.' : 'Your certificate request was denied.'
      }</p>
<p id="locInfoReqIDandReason">Your Request Id is ${o.requestId}. The disposition message is "${o.message}".</p>
<p id="locContactAdmin">Contact your administrator for further information.</p>`,
    ),
  };
}

export interface ErrorView {
  readonly mode: string;
  readonly thumbprint?: string;
  readonly requestId?: number;
  readonly dispositionMessage: string;
  readonly code: ErrorCode;
  readonly intro?: string;
  readonly hint?: string;
}

/** One DL item in the parsed shape: label, at least one non-tab character, two tabs, the text, CR LF. */
function item(id: string, label: string, text: string): SafeHtml {
  return raw(`<dt id=${id}><b>${label}</b></dt><dd>\t\t${escapeLine(text)}\r\n</dd>\n`);
}
const escapeLine = (s: string) => escapeHtml(s).replace(/[\r\n\t]+/g, ' ');

export function errorPage(v: ErrorView): Page {
  const modeText =
    v.mode === 'chkpnd'
      ? 'chkpnd - Check Pending Request'
      : v.mode === 'newreq'
        ? 'newreq - New Request'
        : v.mode || '(none)';
  const intro =
    v.intro ??
    (v.mode === 'chkpnd'
      ? 'An error occurred while the server was checking on your pending certificate request.'
      : v.mode === 'newreq'
        ? 'Your request failed. An error occurred while the server was processing your request.'
        : 'You did not come to this page as a result of a form submission. Start again from the home page.');
  return {
    id: 'result-error',
    title: 'Error',
    bundle: v.thumbprint !== undefined,
    body: resultBlock(
      'error',
      v.requestId ?? '',
      v.thumbprint ?? '',
      html`<p id="locInfo">${intro}</p>
<dl class="details">
${item('locReqModeLabel', 'Request Mode:', modeText)}\
${v.requestId !== undefined ? item('locReqIdLabel', 'Request Id:', String(v.requestId)) : ''}\
${item('locDispMsgLabel', 'Disposition message:', v.dispositionMessage)}\
${item('locResultLabel', 'Result:', resultText(v.code))}\
${item('locLastStatusLabel', 'LastStatus:', resultText(v.code))}</dl>
${v.hint ? html`<p class="hint">${v.hint}</p>` : ''}
<p><a href="/certsrv/">Home</a></p>`,
    ),
  };
}
