/** manage.asp: a certificate manager's pending queue, approvals, denials and revocations. */
import type { CertificateRecord, RequestRecord } from '../../../../store/records.js';
import { html } from '../html.js';
import type { Page } from '../Layout.js';

const REASONS = [
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'privilegeWithdrawn',
  'unspecified',
];

export function managePage(o: {
  pending: readonly RequestRecord[];
  recent: readonly CertificateRecord[];
  csrf: string;
  notice?: string;
  error?: string;
}): Page {
  const csrf = html`<input type="hidden" name="csrf" value="${o.csrf}">`;
  return {
    id: 'manage',
    title: 'Manage Requests and Certificates',
    body: html`${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ''}\
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
<h2>Pending requests</h2>
${
  o.pending.length
    ? html`<table><thead><tr><th>Request</th><th>Submitted</th><th>Requester</th><th>For</th><th>Template</th>\
<th>Action</th></tr></thead><tbody>${o.pending.map(
        (
          r,
        ) => html`<tr><td>${r.id}</td><td>${r.submittedAt.toISOString().replace(/\.\d+Z$/, 'Z')}</td><td>${r.requester}\
</td><td>${r.subjectUser ?? ''}</td><td>${r.template ?? ''}</td><td>
<form method="post" action="manage.asp" class="inline">${csrf}<input type="hidden" name="action" value="approve">\
<input type="hidden" name="id" value="${r.id}"><button type="submit" id="approve${r.id}">Issue</button></form>
<form method="post" action="manage.asp" class="inline">${csrf}<input type="hidden" name="action" value="deny">\
<input type="hidden" name="id" value="${r.id}"><label class="sr-only" for="reason${r.id}">Reason</label>\
<input id="reason${r.id}" name="reason" placeholder="reason" size="14">\
<button type="submit" id="deny${r.id}" class="secondary">Deny</button></form></td></tr>`,
      )}</tbody></table>`
    : html`<p>No pending requests.</p>`
}
<h2>Revoke a certificate</h2>
<form method="post" action="manage.asp">${csrf}<input type="hidden" name="action" value="revoke">
<label for="serial">Serial number</label> <input id="serial" name="serial" size="40" required \
pattern="[0-9A-Fa-f:]{2,60}">
<label for="reason">Reason</label> <select id="reason" name="reason">\
${REASONS.map((r) => html`<option value="${r}">${r}</option>`)}</select>
<button type="submit" id="btnRevoke">Revoke</button></form>
<h2>Recently issued</h2>
<table><thead><tr><th>Serial</th><th>Subject</th><th>Template</th><th>Status</th><th></th></tr></thead><tbody>\
${o.recent.map(
  (c) =>
    html`<tr><td><code>${c.serial}</code></td><td>${c.subjectUser ?? c.subject}</td><td>${c.template ?? ''}</td>\
<td>${c.status}${c.revocationReason === 6 ? ' (on hold)' : ''}</td><td>${
      c.revocationReason === 6
        ? html`<form method="post" action="manage.asp" class="inline">${csrf}\
<input type="hidden" name="action" value="release"><input type="hidden" name="serial" value="${c.serial}">\
<button type="submit" class="secondary">Release hold</button></form>`
        : ''
    }</td></tr>`,
)}</tbody></table>`,
  };
}
