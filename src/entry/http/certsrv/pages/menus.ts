/** Welcome, "Request a certificate" and "Advanced certificate request" — the seed's steps 3–6. */
import type { Template } from '../../../../template/Template.js';
import { html } from '../html.js';
import type { Page } from '../Layout.js';

export function welcomePage(o: {
  displayName: string;
  isAgent: boolean;
  isManager: boolean;
  signinUrl?: string;
}): Page {
  return {
    id: 'welcome',
    title: 'Welcome',
    body: html`<p>Use this site to request a certificate for your smart card, virtual smart card or browser, to check \
on a request you made earlier, and to download the certificates and revocation lists of this certification authority. \
Signed in as <strong>${o.displayName}</strong>.</p>
<h2>Select a task</h2>
<ul class="tasks">
<li><a href="certrqus.asp">Request a certificate</a></li>
<li><a href="certckpn.asp">View the status of a pending certificate request</a></li>
<li><a href="certcarc.asp">Download a CA certificate, certificate chain, or CRL</a></li>
${
  o.isAgent
    ? html`<li><a href="certsces.asp">Enrollment station: enroll a smart card on behalf of another user</a></li>`
    : ''
}
${o.isManager ? html`<li><a href="manage.asp">Manage pending requests and revoke certificates</a></li>` : ''}
${
  o.signinUrl
    ? html`<li><a href="${o.signinUrl}" id="lnkTestCard">Test my smart card: sign in with your card and see every \
check</a></li>`
    : ''
}
</ul>`,
  };
}

export function requestMenuPage(userTemplate: Template | undefined): Page {
  return {
    id: 'request-menu',
    title: 'Request a Certificate',
    body: html`<h2>Select the certificate type</h2>
<ul class="tasks">
${
  userTemplate
    ? html`<li><a href="certrqma.asp?template=${userTemplate.name}">${userTemplate.displayName} certificate</a></li>`
    : ''
}
</ul>
<p>Or submit an <a href="certrqad.asp" id="lnkAdvanced">advanced certificate request</a>.</p>`,
  };
}

export function advancedMenuPage(): Page {
  return {
    id: 'request-advanced-menu',
    title: 'Advanced Certificate Request',
    body: html`<p>The policy of this CA determines which certificates you can request. Choose how to make the \
request:</p>
<ul class="tasks">
<li><a href="certrqma.asp" id="lnkCreate">Create and submit a request to this CA</a>: the key is generated on your \
smart card or in this browser.</li>
<li><a href="certrqxt.asp" id="lnkPaste">Submit a certificate request by using a base-64-encoded CMC or PKCS #10 file, \
or submit a renewal request by using a base-64-encoded PKCS #7 file</a>.</li>
</ul>`,
  };
}
