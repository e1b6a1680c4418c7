/**
 * The plain-HTTP listener, asked in process (Fastify inject, no port) what it answers to
 * enrollment paths: docs/security.md §6.1 and ESC8 — only /pki and /ocsp are served
 * over HTTP; everything else is a redirect to the HTTPS site with no form and no cookie.
 * It is the same app `tessera serve` listens with (entry/http/buildPublicApp.ts).
 */
import { buildPublicApp } from '../entry/http/buildPublicApp.js';
import type { Tessera } from '../Tessera.js';
import type { HttpListenerFacts } from './AuditFacts.js';

const PROBES: readonly { method: 'GET' | 'POST'; url: string; payload?: string; type?: string }[] = [
  { method: 'GET', url: '/' },
  { method: 'GET', url: '/certsrv/' },
  { method: 'GET', url: '/certsrv/certrqad.asp' },
  {
    method: 'POST',
    url: '/certsrv/certfnsh.asp',
    payload: 'Mode=newreq&CertRequest=x&TargetStoreFlags=0',
    type: 'application/x-www-form-urlencoded',
  },
  { method: 'GET', url: '/api/v1/me' },
  { method: 'POST', url: '/api/v1/requests', payload: '{"csr":"x","template":"User"}', type: 'application/json' },
];

export async function probeHttpListener(t: Tessera): Promise<HttpListenerFacts> {
  if (t.config.server.httpPort === 0) return { status: 'disabled' };
  const site = t.config.siteUrl.replace(/\/+$/, '');
  const app = await buildPublicApp({ tessera: t });
  const problems: string[] = [];
  try {
    for (const p of PROBES) {
      const res = await app.inject({
        method: p.method,
        url: p.url,
        payload: p.payload,
        headers: { host: 'attacker.example', ...(p.type ? { 'content-type': p.type } : {}) },
      });
      const what = `${p.method} ${p.url}`;
      const location = String(res.headers.location ?? '');
      if (res.statusCode !== 301 && res.statusCode !== 308)
        problems.push(`${what} answered ${res.statusCode} instead of a redirect`);
      // The target comes from the configured site URL, never from the Host header (EJBCA CVE-2025-3026).
      else if (!location.startsWith(`${site}/`))
        problems.push(`${what} redirects to ${location || 'nowhere'}, not to ${site}`);
      if (res.headers['set-cookie']) problems.push(`${what} sets a cookie`);
      if (/<form\b/i.test(res.body)) problems.push(`${what} serves a form`);
    }
  } finally {
    await app.close();
  }
  return { status: 'checked', probed: PROBES.map((p) => `${p.method} ${p.url}`), problems };
}
