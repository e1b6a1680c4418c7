/**
 * The page frame: the CA name on every page, navigation by role, the anti-forgery token
 * for the client script, and no inline script except the AD CS-compatible blocks that
 * script clients parse (allowed by a per-response nonce).
 */
import { html, raw, type SafeHtml } from './html.js';

export interface PageContext {
  readonly caName: string;
  readonly organization: string;
  readonly user: { readonly username: string; readonly displayName: string } | null;
  readonly roles: readonly string[];
  readonly csrf: string | null;
  readonly nonce: string;
}

export interface Page {
  readonly id: string;
  readonly title: string;
  readonly body: SafeHtml;
  /** Extra inline script (AD CS parser compatibility), emitted with the CSP nonce. */
  readonly script?: string;
  readonly bundle?: boolean;
}

export function layout(ctx: PageContext, page: Page): string {
  const nav = [
    html`<a href="/certsrv/">Home</a>`,
    html`<a href="certrqus.asp">Request a certificate</a>`,
    html`<a href="certckpn.asp">Pending / issued requests</a>`,
    html`<a href="certcarc.asp">CA certificate, chain and CRL</a>`,
    ctx.roles.includes('enrollmentAgents') ? html`<a href="certsces.asp">Enrollment station</a>` : '',
    ctx.roles.includes('certificateManagers') ? html`<a href="manage.asp">Manage requests</a>` : '',
  ];
  const signed = ctx.user
    ? html`<form class="signout" method="post" action="/certsrv/signout">\
<input type="hidden" name="csrf" value="${ctx.csrf ?? ''}"><span>\
${ctx.user.displayName} (${ctx.user.username})</span> <button type="submit">Sign out</button></form>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html`${page.title} — ${ctx.caName}`}</title>
<link rel="stylesheet" href="/certsrv/static/tessera.css">
${ctx.csrf ? html`<meta name="csrf" content="${ctx.csrf}">` : ''}
${page.bundle ? raw('<script type="module" src="/certsrv/static/enroll.js"></script>') : ''}
</head>
<body data-page="${page.id}">
<a class="skip" href="#main">Skip to content</a>
<header class="banner">
<div class="ca"><span class="product">Tessera Certificate Services</span> — <span class="ca-name">\
${html`${ctx.caName}`}</span></div>
${signed}
</header>
${ctx.user ? html`<nav aria-label="Main">${nav}</nav>` : ''}
<main id="main">
<h1>${html`${page.title}`}</h1>
${page.body}
<div id="status" role="status" aria-live="polite"></div>
</main>
<footer>${html`${ctx.organization}`} · Tessera</footer>
${page.script ? raw(`<script nonce="${ctx.nonce}">\n${page.script}\n</script>`) : ''}
</body>
</html>
`;
}
