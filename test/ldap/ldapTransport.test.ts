/**
 * Transport security and connection failures: LDAPS and StartTLS with a certificate from
 * a throwaway CA, refusal of untrusted or misnamed certificates, no clear-text fallback
 * when StartTLS is refused, plain LDAP only when explicitly allowed on loopback, a
 * rejected service account, and a server that accepts connections but never answers.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LdapSettings } from '../../src/config/Config.js';
import { PASSWORDS, startSlapd, type Slapd } from '../support/slapd.js';
import { failure, newDirectory } from './helpers.js';

/** The code a lookup ends with ("resolved" when it succeeds), its detail and duration. */
async function outcome(p: Promise<unknown>): Promise<{ code: string; detail: string; ms: number }> {
  const started = performance.now();
  const ok = await p.then(
    () => true,
    () => false,
  );
  return ok ? { code: 'resolved', detail: '', ms: performance.now() - started } : failure(p);
}

/** The protocolOp tags of the LDAPMessages in a byte stream (RFC 4511 §4.1.1). */
function opTags(bytes: Buffer): number[] {
  const tags: number[] = [];
  let i = 0;
  const len = (at: number): [number, number] => {
    const first = bytes[at];
    if (first < 0x80) return [first, 1];
    const n = first & 0x7f;
    return [bytes.readUIntBE(at + 1, n), 1 + n];
  };
  while (i < bytes.length && bytes[i] === 0x30) {
    const [total, lenBytes] = len(i + 1);
    const body = i + 1 + lenBytes;
    const idLen = bytes[body + 1]; // 02 <len> <id>
    tags.push(bytes[body + 2 + idLen]);
    i = body + total;
  }
  return tags;
}

/** A fake LDAP server that answers StartTLS with protocolError and records every message. */
function refusingStartTls(): Promise<{ server: Server; url: string; received: () => Buffer }> {
  const chunks: Buffer[] = [];
  const server = createServer((sock: Socket) => {
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      // ExtendedRequest (0x77): answer ExtendedResponse (0x78) resultCode protocolError (2).
      if (d[0] === 0x30 && opTags(d)[0] === 0x77) {
        const id = d[4];
        sock.write(Buffer.from([0x30, 0x0c, 0x02, 0x01, id, 0x78, 0x07, 0x0a, 0x01, 0x02, 0x04, 0x00, 0x04, 0x00]));
      }
    });
    sock.on('error', () => {});
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `ldap://127.0.0.1:${(server.address() as { port: number }).port}`,
        received: () => Buffer.concat(chunks),
      }),
    ),
  );
}

/** Accepts TCP connections and never says a word (a hung directory, or a TLS port that stalls). */
function silent(): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as { port: number }).port, sockets }),
    ),
  );
}

describe('LDAP transport security', () => {
  let slapd: Slapd;
  beforeAll(async () => {
    slapd = await startSlapd();
  });
  afterAll(async () => slapd?.close());

  const tryWith = async (over: Partial<LdapSettings>, extra: { ca?: string | null; password?: string } = {}) => {
    const d = newDirectory(slapd, 'openldap', { timeouts: { connectMs: 1000, operationMs: 1000 }, ...over }, extra);
    try {
      return await outcome(d.findUser('alice'));
    } finally {
      await d.close();
    }
  };

  it('works over StartTLS (the default for ldap://) and over LDAPS', async () => {
    expect((await tryWith({})).code).toBe('resolved');
    expect((await tryWith({ url: slapd.ldapsUrl })).code).toBe('resolved');
  });

  it('refuses a directory certificate from a CA it does not trust', async () => {
    const other = readFileSync(slapd.otherCaFile, 'utf8');
    for (const url of [slapd.ldapUrl, slapd.ldapsUrl]) {
      const r = await tryWith({ url }, { ca: other });
      expect(r.code, url).toBe('DIRECTORY_UNAVAILABLE');
      expect(r.detail, url).toMatch(/certificate|self.signed|issuer/i);
    }
    // Without a caFile Node's public roots apply, which do not include the throwaway CA.
    expect((await tryWith({}, { ca: null })).code).toBe('DIRECTORY_UNAVAILABLE');
  });

  it('checks the name in the directory certificate (tlsServerName)', async () => {
    const wrong = await tryWith({ tlsServerName: 'dc1.example.test' });
    expect(wrong.code).toBe('DIRECTORY_UNAVAILABLE');
    expect(wrong.detail).toMatch(/altnames|Hostname|does not match/i);
    expect((await tryWith({ tlsServerName: 'localhost' })).code).toBe('resolved');
  });

  it('never falls back to clear text when the server refuses StartTLS', async () => {
    const fake = await refusingStartTls();
    try {
      const d = newDirectory(slapd, 'openldap', { url: fake.url, timeouts: { connectMs: 1000, operationMs: 1000 } });
      try {
        expect((await outcome(d.findUser('alice'))).code).toBe('DIRECTORY_UNAVAILABLE');
        expect((await outcome(d.authenticate('alice', PASSWORDS.alice))).code).toBe('DIRECTORY_UNAVAILABLE');
      } finally {
        await d.close();
      }
      await new Promise((r) => setTimeout(r, 100));
      const tags = new Set(opTags(fake.received()));
      // Only ExtendedRequest (StartTLS) and UnbindRequest: no BindRequest (0x60), no SearchRequest (0x63).
      expect(tags.has(0x77)).toBe(true);
      expect([...tags].filter((t) => t !== 0x77 && t !== 0x42)).toEqual([]);
    } finally {
      fake.server.close();
    }
  });

  it('speaks plain LDAP only when allowPlaintext is set, and only on loopback', async () => {
    expect((await tryWith({ startTls: false, allowPlaintext: true })).code).toBe('resolved');
  });

  it('reports a rejected service account as DIRECTORY_UNAVAILABLE, never as a failed sign-in', async () => {
    const d = newDirectory(slapd, 'openldap', {}, { password: 'not-the-service-password' });
    try {
      const find = await outcome(d.findUser('alice'));
      expect(find.code).toBe('DIRECTORY_UNAVAILABLE');
      expect(find.detail).toContain('service account');
      expect(find.detail).not.toContain('not-the-service-password');
      expect((await outcome(d.authenticate('alice', PASSWORDS.alice))).code).toBe('DIRECTORY_UNAVAILABLE');
    } finally {
      await d.close();
    }
  });

  it('bounds a server that accepts connections but never answers', async () => {
    const s = await silent();
    try {
      for (const url of [`ldap://127.0.0.1:${s.port}`, `ldaps://127.0.0.1:${s.port}`]) {
        const r = await tryWith({ url, timeouts: { connectMs: 500, operationMs: 500 } });
        expect(r.code, url).toBe('DIRECTORY_UNAVAILABLE');
        expect(r.ms, url).toBeLessThan(2500);
      }
    } finally {
      for (const sock of s.sockets) sock.destroy();
      s.server.close();
    }
  });

  it('tries the next URL when a server cannot be reached', async () => {
    const s = await silent();
    const closedPort = s.port;
    s.server.close();
    await new Promise((r) => setTimeout(r, 50));
    const r = await tryWith({ url: [`ldap://127.0.0.1:${closedPort}`, slapd.ldapUrl] });
    expect(r.code).toBe('resolved');
  });
});
