/**
 * certckpn.asp: this browser's pending requests, from the Requests cookie (§1.3.2), and
 * the certificates the user's requests produced. The page script asks the card agent
 * which cards hold the key of an issued certificate that is not on the card yet — an
 * enrollment whose "Install this certificate" was never clicked — and offers to finish
 * the installation there (docs/web-client.md "Installing later").
 */
import { DEFAULT_CARD_AGENT_URL } from '../../../../config/webSettings.js';
import { html } from '../html.js';
import type { Page } from '../Layout.js';
import type { PendingEntry } from '../requestsCookie.js';

export interface IssuedEntry {
  readonly requestId: number;
  readonly template: string | null;
  readonly subject: string;
  readonly notAfter: Date;
  /** SHA-256 of the certificate DER, hex. */
  readonly sha256: string;
  /** SHA-256 of its SubjectPublicKeyInfo, hex: what the card agent reports for each card key. */
  readonly spkiSha256: string;
  /** The certificate's key identifier, hex: the CKA_ID Tessera gives the key on the card. */
  readonly keyId: string;
}

export function pendingListPage(o: {
  entries: readonly PendingEntry[];
  csrf: string;
  issued?: readonly IssuedEntry[];
  agentUrl?: string;
}): Page {
  const rows = o.entries.map(
    (e) => html`<li><form method="post" action="certfnsh.asp" class="inline">
<input type="hidden" name="Mode" value="chkpnd"><input type="hidden" name="ReqID" value="${e.id}">\
<input type="hidden" name="TargetStoreFlags" value="${e.targetStoreFlags}">\
<input type="hidden" name="SaveCert" value="${e.saveCert}"><input type="hidden" name="csrf" value="${o.csrf}">
<button type="submit" class="link" id="chk${e.id}">${e.friendlyType || 'Certificate'} (request ${e.id})</button></form>
<form method="post" action="certrmpn.asp" class="inline"><input type="hidden" name="Action" value="rmpn">\
<input type="hidden" name="ReqID" value="${e.id}"><input type="hidden" name="csrf" value="${o.csrf}">\
<button type="submit" class="secondary" aria-label="Remove request ${e.id} from this list">Remove</button></form></li>`,
  );
  const issued = o.issued ?? [];
  const issuedRows = issued.map(
    (e) => html`<tr id="issued${e.requestId}" data-req-id="${e.requestId}" data-sha256="${e.sha256}" \
data-spki-sha256="${e.spkiSha256}" data-key-id="${e.keyId}">
<td><form method="post" action="certfnsh.asp" class="inline"><input type="hidden" name="Mode" value="chkpnd">\
<input type="hidden" name="ReqID" value="${e.requestId}"><input type="hidden" name="SaveCert" value="yes">\
<input type="hidden" name="csrf" value="${o.csrf}"><button type="submit" class="link" id="view${e.requestId}">Request \
${e.requestId}</button></form></td>
<td>${e.template ?? '—'}</td><td>${e.subject}</td><td>${e.notAfter.toISOString().slice(0, 10)}</td>\
<td class="card-state" id="cardState${e.requestId}">—</td></tr>`,
  );
  // Filled and shown by the page script once a card holds the key of a listed certificate.
  const installLater = html`<section id="installLater" hidden aria-labelledby="installLaterTitle">\
<h3 id="installLaterTitle">Finish installing onto your smart card</h3>
<p>The key of a certificate below is on a smart card, but the certificate is not. Enter the card PIN and choose \
<em>Install this certificate</em> next to it; the PIN is sent only to the card agent on this computer.</p>
<label for="tbPin">PIN</label> <input id="tbPin" type="password" autocomplete="off" inputmode="numeric">
<label for="tbAgentUrl">Card agent</label> <input id="tbAgentUrl" value="${o.agentUrl ?? DEFAULT_CARD_AGENT_URL}" \
size="30"></section>`;
  return {
    id: 'pending-list',
    title: 'View the Status of a Pending Certificate Request',
    bundle: issued.length > 0,
    body: html`${
      o.entries.length
        ? html`<p>Select the request you want to check:</p><ul class="pending">${rows}</ul>`
        : html`<p id="noPending">There are no pending certificate requests for this browser.</p>`
    }
${
  issued.length
    ? html`<h2 id="issuedTitle">Issued certificates</h2>
<p>Certificates issued for your requests that are still valid. Choose a request to download its certificate again.</p>
<table class="issued" aria-labelledby="issuedTitle"><thead><tr><th scope="col">Request</th>\
<th scope="col">Template</th><th scope="col">Subject</th><th scope="col">Valid until</th>\
<th scope="col">Smart card</th></tr></thead>
<tbody>${issuedRows}</tbody></table>
${installLater}`
    : ''
}`,
  };
}
