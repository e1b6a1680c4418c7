/**
 * A template as an `<option>` of the certsrv template list. The value keeps AD CS's
 * shape — `E;<name>;<keySpec>;<keyFlags>;<enrollmentFlags>;<privateKeyFlags>;<subjectFlags>;
 * <raSignatures>;<csp?csp…>;<oid>;<major>;<minorFlag>;<minor>;<display>`
 * (docs/certsrv.md §6) — because Certipy's
 * `relay -enum-templates` reads field 1; the data attributes are for our own page script.
 */
import type { Template } from '../../../template/Template.js';
import { html, type SafeHtml } from './html.js';

// msPKI-Enrollment-Flag and msPKI-Certificate-Name-Flag bits (MS-CRTD §2.26, §2.28).
const CT_FLAG_PEND_ALL_REQUESTS = 0x2;
const CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT = 0x1;
const SUBJECT_ALT_REQUIRE_UPN = 0x02000000;
const SUBJECT_ALT_REQUIRE_EMAIL = 0x04000000;
const SUBJECT_REQUIRE_EMAIL = 0x20000000;
const SUBJECT_REQUIRE_COMMON_NAME = 0x40000000;
const SUBJECT_REQUIRE_DIRECTORY_PATH = 0x80000000;

export function templateOptionValue(t: Template): string {
  const keySpec = t.keySpec === 'signature' ? 2 : 1;
  const keyFlags = ((t.keyAlgorithms.rsaMinBits ?? 0) & 0xffff) << 16;
  const enrollmentFlags = t.issuance.managerApproval ? CT_FLAG_PEND_ALL_REQUESTS : 0;
  let subjectFlags = 0;
  if (t.subjectName.source === 'request') subjectFlags |= CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT;
  else {
    if (t.subjectName.format === 'fullDn') subjectFlags |= SUBJECT_REQUIRE_DIRECTORY_PATH;
    if (t.subjectName.format === 'commonName') subjectFlags |= SUBJECT_REQUIRE_COMMON_NAME;
    if (t.subjectName.includeEmail) subjectFlags |= SUBJECT_REQUIRE_EMAIL;
    if (t.san.upn) subjectFlags |= SUBJECT_ALT_REQUIRE_UPN;
    if (t.san.email) subjectFlags |= SUBJECT_ALT_REQUIRE_EMAIL;
  }
  const v2 = t.schemaVersion === 2 && t.oid;
  return [
    'E',
    t.name,
    keySpec,
    keyFlags >>> 0,
    enrollmentFlags,
    0,
    subjectFlags >>> 0,
    t.issuance.agentSignatures,
    t.providers.join('?'),
    v2 ? t.oid : '',
    v2 ? t.majorVersion : '',
    v2 ? 1 : '',
    v2 ? t.minorVersion : '',
    t.displayName,
  ].join(';');
}

/** A template list's options; AD CS's single "(No templates found!)" option when there is none. */
export function templateOptions(options: readonly SafeHtml[]): readonly SafeHtml[] {
  return options.length ? options : [html`<option value="X">(No templates found!)</option>`];
}

export function templateOption(t: Template, o: { selected?: boolean; disableAgentTemplates?: boolean } = {}): SafeHtml {
  const needsAgent = t.issuance.agentSignatures > 0;
  const disabled = o.disableAgentTemplates && needsAgent;
  const label = disabled ? `${t.displayName} (needs an enrollment agent signature)` : t.displayName;
  return html`<option value="${templateOptionValue(t)}" data-name="${t.name}" data-display="${t.displayName}" \
data-key-spec="${t.keySpec}" data-rsa-min="${t.keyAlgorithms.rsaMinBits ?? ''}" \
data-ec-curves="${t.keyAlgorithms.ecCurves.join(',')}" data-agent-signatures="${t.issuance.agentSignatures}" \
data-manager-approval="${t.issuance.managerApproval ? '1' : '0'}" \
data-template-oid="${t.schemaVersion === 2 ? (t.oid ?? '') : ''}" \
data-major="${t.schemaVersion === 2 ? t.majorVersion : ''}" \
data-minor="${t.schemaVersion === 2 ? t.minorVersion : ''}"${o.selected ? html` selected` : ''}\
${disabled ? html` disabled` : ''}>${label}</option>`;
}
