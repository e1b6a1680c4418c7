/**
 * How the relying party fetches revocation data: over plain HTTP, from the URLs in the
 * certificates, like any relying party (RFC 5280 §4.2.1.13 and RFC 6960 Appendix A;
 * the objects are signed, so transport security adds nothing and HTTPS would make the
 * check depend on another certificate's revocation). Redirects are not followed, bodies
 * are capped and every fetch has a deadline, so a slow or hostile server costs a bounded
 * amount of time and memory. Services embedding the validator may pass their own
 * fetcher (a proxy, a cache); it must keep these properties.
 */
import { request } from 'node:http';

export interface FetchRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly body?: Buffer;
  readonly contentType?: string;
  readonly accept: string;
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

export interface FetchResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

/** Rejects (with an Error saying why) when nothing usable came back. */
export type RevocationFetcher = (r: FetchRequest) => Promise<FetchResponse>;

/** Only http: URLs are fetched; ldap:, file: and others (AD CS puts ldap: in CDPs) are skipped. */
export function fetchableUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && !u.username && !u.password;
  } catch {
    return false;
  }
}

export const httpFetch: RevocationFetcher = (r) =>
  new Promise((resolve, reject) => {
    if (!fetchableUrl(r.url)) return reject(new Error(`not an http: URL: ${r.url}`));
    const headers: Record<string, string> = { accept: r.accept, 'user-agent': 'Tessera-RP' };
    if (r.body) {
      headers['content-type'] = r.contentType ?? 'application/octet-stream';
      headers['content-length'] = String(r.body.length);
    }
    let settled = false;
    const done = (e: Error | undefined, v?: FetchResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (e) reject(e);
      else resolve(v!);
    };
    const req = request(r.url, { method: r.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > r.maxBytes) {
          req.destroy();
          done(new Error(`response from ${r.url} larger than ${r.maxBytes} bytes`));
        } else chunks.push(c);
      });
      res.on('end', () =>
        done(undefined, {
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks),
        }),
      );
      res.on('error', (e) => done(e));
    });
    const timer = setTimeout(() => {
      req.destroy();
      done(new Error(`no answer from ${r.url} within ${r.timeoutMs} ms`));
    }, r.timeoutMs);
    req.on('error', (e) => done(new Error(`${r.url}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
    req.end(r.body);
  });
