/**
 * certcarc.asp: the CA certificate, chain and CRLs. Emits `var nRenewals=<n>;` (scraped by
 * magnuswatn/certsrv and nokia adcs-issuer, §1.5) and plain links for text clients.
 */
import { html, raw } from '../html.js';
import type { Page } from '../Layout.js';

export function caDownloadsPage(o: { caName: string; renewals: number; fingerprint: string; hasDelta: boolean }): Page {
  const r = o.renewals;
  return {
    id: 'ca-downloads',
    title: 'Download a CA Certificate, Certificate Chain, or CRL',
    script: `\tvar nRenewals=${r};`,
    body: html`<p>To trust certificates issued by this certification authority, install its certificate chain. Compare \
the root's SHA-256 fingerprint with the one your administrator published: <code id="rootFingerprint">${o.fingerprint}\
</code></p>
<form name="UIForm"><label for="lbCaInstance">CA certificate</label>
<select id="lbCaInstance" name="lbCaInstance"><option value="${r}" selected>Current [${o.caName}]</option></select>\
</form>
<h2>Downloads</h2>
<ul class="downloads">
${raw(
  '<li>CA certificate: <a id="lnkCaDer" ' +
    `href="certnew.cer?ReqID=CACert&amp;Renewal=${r}&amp;Enc=bin">DER encoded</a> or <a id="lnkCaB64" ` +
    `href="certnew.cer?ReqID=CACert&amp;Renewal=${r}&amp;Enc=b64">Base 64 encoded</a></li>`,
)}
${raw(
  '<li>CA certificate chain: <a id="lnkChainDer" ' +
    `href="certnew.p7b?ReqID=CACert&amp;Renewal=${r}&amp;Enc=bin">DER encoded</a> or <a id="lnkChainB64" ` +
    `href="certnew.p7b?ReqID=CACert&amp;Renewal=${r}&amp;Enc=b64">Base 64 encoded</a></li>`,
)}
${raw(
  `<li>Latest base CRL: <a id="lnkCrl" href="certcrl.crl?Type=base&amp;Renewal=${r}&amp;Enc=bin">DER ` +
    `encoded</a> or <a href="certcrl.crl?Type=base&amp;Renewal=${r}&amp;Enc=b64">Base 64 encoded</a></li>`,
)}
${
  o.hasDelta
    ? raw(
        '<li>Latest delta CRL: <a id="lnkDeltaCrl" ' +
          `href="certcrl.crl?Type=delta&amp;Renewal=${r}&amp;Enc=bin">DER encoded</a> or <a ` +
          `href="certcrl.crl?Type=delta&amp;Renewal=${r}&amp;Enc=b64">Base 64 encoded</a></li>`,
      )
    : ''
}
</ul>`,
  };
}
