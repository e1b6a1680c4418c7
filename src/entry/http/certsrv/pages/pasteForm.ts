/**
 * certrqxt.asp: paste a base-64 CMC, PKCS#10 or PKCS#7 request. Works without JavaScript:
 * the form posts straight to certfnsh.asp, which reads the template list and attribute
 * box when CertAttrib is absent. The template list keeps AD CS's
 * `<select name="lbCertTemplate" id="lbCertTemplateID">` (Certipy parses it, docs/certsrv.md §5 item 12).
 */
import type { Template } from '../../../../template/Template.js';
import { html } from '../html.js';
import type { Page } from '../Layout.js';
import { templateOption, templateOptions } from '../templateOption.js';
import { attributesField } from './advancedForm.js';

export function pasteFormPage(o: { templates: readonly Template[]; csrf: string }): Page {
  const options = templateOptions(o.templates.map((t) => templateOption(t)));
  return {
    id: 'request-paste',
    title: 'Submit a Certificate Request or Renewal Request',
    body: html`<p>Paste a base-64-encoded CMC or PKCS #10 certificate request, or a PKCS #7 renewal request, generated \
by an external source (such as <code>tessera enroll</code>, certreq or OpenSSL).</p>
<form id="paste" method="post" action="certfnsh.asp">
<input type="hidden" name="Mode" value="newreq">
<input type="hidden" name="TargetStoreFlags" value="0">
<input type="hidden" name="SaveCert" value="yes">
<input type="hidden" name="ThumbPrint" value="">
<input type="hidden" name="FriendlyType" value="Saved-Request Certificate">
<input type="hidden" name="csrf" value="${o.csrf}">
<label for="CertRequest">Saved request (base-64-encoded CMC, PKCS #10 or PKCS #7)</label>
<textarea id="CertRequest" name="CertRequest" rows="12" cols="72" required spellcheck="false"></textarea>
<label for="lbCertTemplateID">Certificate template</label>
<select name="lbCertTemplate" id="lbCertTemplateID">${options}</select>
${attributesField('Additional attributes')}
<p><button type="submit" id="btnSubmit">Submit</button></p>
</form>`,
  };
}
