/**
 * The directory going away mid-suite: slapd killed, frozen (SIGSTOP: the port answers,
 * nothing else does) and started again. Sign-in, lookups and enrollment fail fast with
 * DIRECTORY_UNAVAILABLE, nothing is half-written, and the same directory object works
 * again when slapd is back — no restart, no new object.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../src/directory/Directory.js';
import type { LdapDirectory } from '../../src/directory/ldap/LdapDirectory.js';
import { LdapPublisher } from '../../src/directory/ldap/LdapPublisher.js';
import { ExitDispatcher } from '../../src/exit/ExitDispatcher.js';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { submit } from '../../src/ra/submit.js';
import { Tessera } from '../../src/Tessera.js';
import { pemBlocks } from '../../src/x509/pem.js';
import { opensslCsr } from '../support/openssl.js';
import { BASE_DN, PASSWORDS, startSlapd, type Slapd } from '../support/slapd.js';
import { LOCAL } from '../support/tessera.js';
import { eventually, failure, ldapDataDir, newDirectory, type LogLine } from './helpers.js';

describe('directory outage and recovery', () => {
  let slapd: Slapd;
  let dir: LdapDirectory;
  const log: LogLine[] = [];
  beforeAll(async () => {
    slapd = await startSlapd();
    dir = newDirectory(slapd, 'openldap', { timeouts: { connectMs: 1000, operationMs: 1000 } }, { log });
  });
  afterAll(async () => {
    await dir?.close();
    await slapd?.close();
  });

  it('fails fast with DIRECTORY_UNAVAILABLE when slapd is killed, and recovers when it is back', async () => {
    // A long operation timeout: failing fast must come from noticing the closed
    // connections (StartTLS ones included, which ldapts alone misses), not from timing out.
    const patient = newDirectory(slapd, 'openldap', { timeouts: { connectMs: 5000, operationMs: 5000 } }, { log });
    try {
      await Promise.all(['alice', 'bob', 'carol'].map((u) => patient.findUser(u)));
      expect(patient.poolStats().idle).toBeGreaterThan(1);
      await slapd.stop('SIGKILL');

      for (const op of [
        () => patient.findUser('alice'),
        () => patient.authenticate('alice', PASSWORDS.alice),
        () => patient.groupExists('Smartcard Users'),
        () => patient.findUsersByEmail('alice@example.test'),
      ]) {
        const { err, ms } = await failure(op());
        // Never "unknown user" or "wrong password": an outage is not a denial.
        expect(err.code).toBe('DIRECTORY_UNAVAILABLE');
        expect(err.message).toBe('The directory is unavailable; nothing was changed. Try again later.');
        expect(err.detail).toMatch(/ECONNREFUSED/);
        expect(ms).toBeLessThan(1000);
      }

      await slapd.start();
      // The same object, no restart: the pool opens new connections.
      expect((await patient.authenticate('alice', PASSWORDS.alice)).username).toBe('alice');
      expect((await patient.findUser('bob'))!.groups).toContain('Smartcard Users');
    } finally {
      if (!slapd.running()) await slapd.start();
      await patient.close();
    }
  });

  it('bounds a hung server (SIGSTOP) by the operation timeout, then recovers', async () => {
    expect((await dir.findUser('alice'))?.username).toBe('alice');
    await slapd.freeze();
    try {
      const { err, ms } = await failure(dir.findUser('alice'));
      expect(err.code).toBe('DIRECTORY_UNAVAILABLE');
      expect(ms).toBeLessThan(4000);
      const auth = await failure(dir.authenticate('bob', PASSWORDS.bob));
      expect(auth.err.code).toBe('DIRECTORY_UNAVAILABLE');
      expect(auth.ms).toBeLessThan(6000);
    } finally {
      slapd.thaw();
    }
    expect((await dir.findUser('alice'))?.username).toBe('alice');
  });

  it('retries a failed publication through the ExitDispatcher until the directory is back', async () => {
    const exits = new ExitDispatcher({ warn: (obj, msg) => log.push({ obj, msg }) }, 8, 100);
    exits.register(new LdapPublisher(dir));
    const der = pemBlocks(readFileSync(slapd.caFile, 'utf8'), 'CERTIFICATE')[0];
    await slapd.stop();
    exits.emit({
      kind: 'issued',
      requestId: 1,
      serial: '01',
      template: 'SmartcardUser',
      subjectUser: 'carol',
      der,
      latencyMs: 0,
    });
    await new Promise((r) => setTimeout(r, 300));
    await slapd.start();
    const onCarol = () =>
      slapd
        .ldapsearch(`uid=carol,ou=People,${BASE_DN}`, '(objectClass=*)', ['userCertificate;binary'], 'base')
        .includes(der.toString('base64'));
    await eventually(onCarol);
    expect(log.some((l) => l.msg === 'exit module failed; retrying')).toBe(true);
  });
});

describe('enrollment while the directory is down', () => {
  let slapd: Slapd;
  let t: Tessera;
  let alice: DirectoryUser;
  beforeAll(async () => {
    slapd = await startSlapd();
    const dir = await ldapDataDir(slapd, 'openldap', {
      url: slapd.ldapsUrl,
      timeouts: { connectMs: 1000, operationMs: 1000 },
    });
    t = await Tessera.open(dir);
    await setTemplateGrant(t, LOCAL, 'SmartcardUser', 'Smartcard Users', true);
    alice = await t.directory.authenticate('alice', PASSWORDS.alice);
  });
  afterAll(async () => {
    await t?.close();
    await slapd?.close();
  });

  it('refuses sign-in, enrollment and template changes with DIRECTORY_UNAVAILABLE and writes no request', async () => {
    const before = await t.store.requests.list();
    await slapd.stop('SIGKILL');
    try {
      expect((await failure(t.directory.authenticate('alice', PASSWORDS.alice))).err.code).toBe(
        'DIRECTORY_UNAVAILABLE',
      );
      // alice signed in before the outage; her request needs the directory (name owners) and fails whole.
      const { err } = await failure(
        submit(t, { request: opensslCsr('P-256').csr, template: 'SmartcardUser', requester: alice, source: 'test' }),
      );
      expect(err.code).toBe('DIRECTORY_UNAVAILABLE');
      expect((await failure(setTemplateGrant(t, LOCAL, 'SmartcardLogon', 'Smartcard Users', true))).err.code).toBe(
        'DIRECTORY_UNAVAILABLE',
      );
      expect(await t.store.requests.list()).toEqual(before);
      expect((await t.templates.get('SmartcardLogon'))!.enroll).not.toContain('Smartcard Users');
    } finally {
      await slapd.start();
    }
    const r = await submit(t, {
      request: opensslCsr('P-256').csr,
      template: 'SmartcardUser',
      requester: alice,
      source: 'test',
    });
    expect(r.disposition).toBe('issued');
  });
});
