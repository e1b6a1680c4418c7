/**
 * "Test my smart card": who the presented certificate signs you in as, and every check
 * the relying party made (passed, failed, not run), in the site's page frame. The JSON
 * variant carries the same facts for scripts. Only public texts appear: check titles,
 * the summaries of passed checks (about the presenter's own certificate and account) and
 * the failed code's public message — never a detail that could name another account.
 */
import type { Check, SigninDecision } from '../../../signin/SmartCardValidator.js';
import { mappingText } from '../../../signin/SmartCardValidator.js';
import { html, type SafeHtml } from '../certsrv/html.js';
import type { Page } from '../certsrv/Layout.js';
import { errorRegistry } from '../../../errors/registry.js';

export interface SigninView {
  readonly decision: SigninDecision;
  /** The enrollment site (config.siteUrl), where the session now works. */
  readonly siteUrl: string;
  readonly sessionExpires?: Date;
}

/** The checks as scripts see them (no private details). */
export function publicChecks(checks: readonly Check[]) {
  return checks.map((c) => ({
    id: c.id,
    title: c.title,
    status: c.status,
    summary: c.summary,
    ...(c.code ? { code: c.code } : {}),
  }));
}

/** The JSON answer of /signin.json (and of /signin with Accept: application/json). */
export function signinJson(v: SigninView): Record<string, unknown> {
  const d = v.decision;
  if (d.ok) {
    return {
      result: 'signed-in',
      user: {
        username: d.account.username,
        displayName: d.account.displayName,
        upn: d.account.upn,
        sid: d.account.sid,
      },
      mapping: { kind: d.mapping.kind, strength: d.mapping.strength, description: mappingText(d.mapping) },
      certificate: d.certificate,
      chain: d.path.map((c) => c.subject),
      checks: publicChecks(d.checks),
      session: { expires: v.sessionExpires?.toISOString() ?? null },
      next: `${v.siteUrl.replace(/\/+$/, '')}/certsrv/`,
    };
  }
  const failed = d.checks.find((c) => c.status === 'failed');
  return {
    result: 'refused',
    code: 'SIGNIN_REFUSED',
    message: errorRegistry.SIGNIN_REFUSED.message,
    failedCheck: failed ? { id: failed.id, title: failed.title, code: failed.code, message: failed.summary } : null,
    ...(d.certificate ? { certificate: d.certificate } : {}),
    checks: publicChecks(d.checks),
  };
}

const STATUS_TEXT: Record<Check['status'], string> = {
  passed: '✔ passed',
  failed: '✘ failed',
  'not run': '– not run',
};

function checkRows(checks: readonly Check[]): SafeHtml[] {
  return checks.map(
    (c) =>
      html`<tr data-check="${c.id}" data-status="${c.status}"><td>${c.title}</td>\
<td class="${c.status === 'failed' ? 'error' : c.status === 'passed' ? 'notice' : 'hint'}">${STATUS_TEXT[c.status]}\
</td><td>${c.summary}${c.code ? html` <code>${c.code}</code>` : ''}</td></tr>`,
  );
}

export function signinPage(v: SigninView): Page {
  const d = v.decision;
  const site = `${v.siteUrl.replace(/\/+$/, '')}/certsrv/`;
  const table = html`<h2>Checks</h2>
<table class="checks"><thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">Details</th></tr>\
</thead>
<tbody>${checkRows(d.checks)}</tbody></table>`;
  const cert = d.certificate
    ? html`<h2>Your certificate</h2>
<dl class="details"><dt>Subject</dt><dd>${d.certificate.subject}</dd><dt>Issuer</dt><dd>${d.certificate.issuer}</dd>\
<dt>Serial number</dt><dd>${d.certificate.serial}</dd><dt>Valid</dt><dd>\
${d.certificate.notBefore} to ${d.certificate.notAfter}</dd><dt>SHA-256 fingerprint</dt><dd>\
${d.certificate.fingerprint}</dd></dl>`
    : '';
  if (d.ok) {
    return {
      id: 'smartcard-signin',
      title: 'Test my smart card',
      body: html`<p class="notice" role="status" id="signedIn">You are signed in as <strong>${d.account.displayName}\
</strong> (<span id="username">${d.account.username}</span>).</p>
<dl class="details"><dt>User principal name</dt><dd>${d.account.upn ?? '—'}</dd><dt>Security identifier (SID)</dt>\
<dd>${d.account.sid ?? '—'}</dd><dt>Mapping</dt><dd>${d.mapping.strength === 'strong' ? 'Strong' : 'Weak'} — \
${mappingText(d.mapping)}</dd>\
${v.sessionExpires ? html`<dt>Session</dt><dd>until ${v.sessionExpires.toISOString()}</dd>` : ''}</dl>
<p><a href="${site}">Continue to the enrollment site</a> — you are signed in there too.</p>
${cert}
${table}`,
    };
  }
  const failed = d.checks.find((c) => c.status === 'failed');
  const missing = failed?.code === 'SIGNIN_CERT_MISSING';
  return {
    id: 'smartcard-signin',
    title: 'Test my smart card',
    body: html`<p class="error" role="alert" id="refused">${errorRegistry.SIGNIN_REFUSED.message}</p>
${
  failed
    ? html`<p>The check that failed: <strong>${failed.title}</strong> — ${failed.summary} <code>${failed.code}</code>\
</p>`
    : ''
}
${
  missing
    ? html`<p class="hint">Insert your smart card, reload this page and choose the card's certificate when the browser \
asks for one.</p>`
    : ''
}
${cert}
${table}
<p><a href="${site}">Go to the enrollment site</a> to request a smart card certificate.</p>`,
  };
}
