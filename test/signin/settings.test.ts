/**
 * The `signin` section of tessera.json: refused at start when it is wrong (docs/development.md
 * "Rules the code keeps" 3), with no way to configure a soft-fail revocation check or a weak explicit
 * mapping; the defaults (Tessera's root as trust anchor, its issuing CA as the whole
 * authentication trust list); trust files read from the data directory; and the
 * listener started by `startServer` when a port is configured.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config, SigninSettings } from '../../src/config/Config.js';
import { configProblems, saveConfig } from '../../src/config/loadConfig.js';
import type { TesseraError } from '../../src/errors/TesseraError.js';
import { signinSettingsProblems } from '../../src/config/signinSettings.js';
import { validatorSettingsFor } from '../../src/config/validatorSettingsFor.js';
import { parseCertificate } from '../../src/signin/parseCertificate.js';
import { Tessera } from '../../src/Tessera.js';
import { toPem } from '../../src/x509/pem.js';
import { freePort } from '../support/ports.js';
import { startTestServer } from '../support/server.js';
import { newTestCa, type TestCa } from '../support/tessera.js';
import { tlsGet } from './support/listener.js';
import { hierarchy, PkiServer } from './support/pki.js';

let ca: TestCa;
beforeAll(async () => {
  ca = await newTestCa();
});
afterAll(async () => ca?.close());

describe('signin settings', () => {
  it('names every problem', () => {
    const bad = {
      port: 70000,
      eku: 'anything',
      trustAnchors: [],
      mapping: { allowWeakUpn: 'yes', explicit: { alice: ['X509:<S>CN=Alice', 'X509:<SKI>abc'] } },
      revocation: { timeoutMs: 0, softFail: true, mode: 'lenient', sources: 'ldap', crlFiles: [''] },
      clockSkewSeconds: -1,
    } as unknown as SigninSettings;
    expect(signinSettingsProblems(bad)).toEqual([
      'signin.port: 0–65535',
      'signin.trustAnchors: a non-empty list of PEM file names',
      'signin.eku: smartcardLogon, clientAuthentication or either',
      'signin.mapping.allowWeakUpn: true or false',
      expect.stringMatching(/^signin\.mapping\.explicit\.alice: "X509:<S>CN=Alice": .*weak \(KB5014754, ESC14\)/),
      expect.stringMatching(/^signin\.mapping\.explicit\.alice: "X509:<SKI>abc": the SKI must be whole bytes/),
      'signin.revocation.timeoutMs: more than 0',
      // Soft-fail is chosen by mode name only; a bare boolean is still refused.
      'signin.revocation.softFail: not a setting — write signin.revocation.mode "soft-fail" to let an unknown revocation status through (audited as a warning)',
      'signin.revocation.mode: hard-fail or soft-fail',
      'signin.revocation.sources: ocsp-then-crl, crl or ocsp',
      'signin.revocation.crlFiles: a list of CRL files or directories',
      'signin.clockSkewSeconds: 0 or more',
    ]);
    expect(
      signinSettingsProblems({
        port: 8444,
        eku: 'either',
        mapping: { explicit: { alice: ['X509:<I>DC=local,DC=tessera,CN=CA<SR>0a0b'] } },
      }),
    ).toEqual([]);
  });

  it('a tessera.json with a bad signin section is refused as a whole', () => {
    const c = { ...ca.t.config, signin: { eku: 'none' } } as unknown as Config;
    expect(configProblems(c)).toContain('signin.eku: smartcardLogon, clientAuthentication or either');
    expect(configProblems(ca.t.config)).toEqual([]);
  });

  it("defaults: Tessera's root is the trust anchor and its issuing CA the whole authentication trust list", async () => {
    const s = await validatorSettingsFor(ca.t);
    const [issuing, root] = ca.t.chain();
    expect(s.trustAnchors.map((d) => Buffer.from(d).equals(root))).toEqual([true]);
    expect(s.authenticationCas.map((d) => Buffer.from(d).equals(issuing))).toEqual([true]);
    expect(s).toMatchObject({
      eku: 'smartcardLogon',
      mapping: { allowWeakUpn: false, creationToleranceSeconds: 600 },
      clockSkewSeconds: 300,
      notBeforeSkewSeconds: 0,
    });
  });

  it('reads configured trust files from the data directory, and refuses a missing one', async () => {
    const pki = await new PkiServer().start();
    try {
      const other = hierarchy(pki, 'Partner');
      writeFileSync(join(ca.dir, 'partner.pem'), toPem(other.issuing.der, 'CERTIFICATE'));
      const open = async (signin: SigninSettings) => {
        await saveConfig(ca.t.paths.config, { ...ca.t.config, signin });
        return Tessera.open(ca.dir, { withIssuingKey: false });
      };
      const t = await open({ authenticationCas: ['partner.pem', 'certs/chain.pem'] });
      try {
        const s = await validatorSettingsFor(t);
        expect(s.authenticationCas.map((d) => parseCertificate(d).subjectText)).toEqual([
          'CN=Partner Issuing CA,O=Partner Org',
          'CN=Test Issuing CA,O=Tessera Tests',
          'CN=Test Root CA,O=Tessera Tests',
        ]);
      } finally {
        await t.close();
      }
      // The revocation modes and the local CRL files map onto the validator's settings.
      const t3 = await open({
        revocation: { mode: 'soft-fail', sources: 'crl', crlFiles: ['crls'] },
        notBeforeSkewSeconds: 5,
      });
      try {
        const s = await validatorSettingsFor(t3);
        expect(s.revocation).toMatchObject({ mode: 'soft-fail', ocsp: false, crlFiles: [join(ca.dir, 'crls')] });
        expect(s.revocation).not.toHaveProperty('crl');
        expect(s.notBeforeSkewSeconds).toBe(5);
      } finally {
        await t3.close();
      }
      const t2 = await open({ trustAnchors: ['nope.pem'] });
      try {
        const err = await validatorSettingsFor(t2).catch((e: TesseraError) => e);
        expect(err).toMatchObject({ code: 'CONFIG_INVALID' });
        expect((err as TesseraError).detail).toMatch(/signin\.trustAnchors: cannot read .*nope\.pem \(ENOENT\)/);
      } finally {
        await t2.close();
        await saveConfig(ca.t.paths.config, ca.t.config);
      }
    } finally {
      await pki.close();
    }
  });
});

describe('startServer', () => {
  it('starts the sign-in listener on --signin-port beside the site, asks for a client certificate, and closes it with the server', async () => {
    const port = await freePort();
    const server = await startTestServer(ca, { signinPort: port });
    try {
      expect(server.server.signin?.url).toBe(`https://127.0.0.1:${port}`);
      const a = await tlsGet(`https://localhost:${port}/signin.json`, { ca: server.rootPem });
      expect(a.status).toBe(401);
      expect(a.json).toMatchObject({ result: 'refused', failedCheck: { code: 'SIGNIN_CERT_MISSING' } });
    } finally {
      await server.close();
    }
    await expect(tlsGet(`https://localhost:${port}/signin.json`, { ca: server.rootPem })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});
