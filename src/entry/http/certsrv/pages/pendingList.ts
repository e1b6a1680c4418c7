/** certckpn.asp: this browser's pending requests, from the Requests cookie (§1.3.2). */
import { html } from '../html.js';
import type { Page } from '../Layout.js';
import type { PendingEntry } from '../requestsCookie.js';

export function pendingListPage(o: { entries: readonly PendingEntry[]; csrf: string }): Page {
  const rows = o.entries.map(
    (e) => html`<li><form method="post" action="certfnsh.asp" class="inline">
<input type="hidden" name="Mode" value="chkpnd"><input type="hidden" name="ReqID" value="${e.id}"><input type="hidden" name="TargetStoreFlags" value="${e.targetStoreFlags}"><input type="hidden" name="SaveCert" value="${e.saveCert}"><input type="hidden" name="csrf" value="${o.csrf}">
<button type="submit" class="link" id="chk${e.id}">${e.friendlyType || 'Certificate'} (request ${e.id})</button></form>
<form method="post" action="certrmpn.asp" class="inline"><input type="hidden" name="Action" value="rmpn"><input type="hidden" name="ReqID" value="${e.id}"><input type="hidden" name="csrf" value="${o.csrf}"><button type="submit" class="secondary" aria-label="Remove request ${e.id} from this list">Remove</button></form></li>`,
  );
  return {
    id: 'pending-list',
    title: 'View the Status of a Pending Certificate Request',
    body: o.entries.length
      ? html`<p>Select the request you want to check:</p><ul class="pending">${rows}</ul>`
      : html`<p id="noPending">There are no pending certificate requests for this browser.</p>`,
  };
}
