/**
 * The policy module as a pure function (verifyRequest.ts): issue / pend / deny for each
 * check, names always from the directory (ESC1/ESC6/ESC9), requested extensions never
 * copied (ESC15), and the notes the audit trail records.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../directory/Directory.js';
import type { Template } from '../template/Template.js';
import { BUILTIN_TEMPLATES } from '../template/builtinTemplates.js';
import { bool, explicit, ia5, integer, oid, seq, tlv } from '../x509/der.js';
import { encodeGeneralNames, encodeSidExtensionValue, SID_URI_PREFIX } from '../x509/generalNames.js';
import { encodeName } from '../x509/name.js';
import { OID } from '../x509/oids.js';
import { decodeRequest } from '../x509/request.js';
import { attr, craftCsr, ext, keyPair } from '../../test/support/craftCsr.js';
import { rsaKeyWithExponent } from '../../test/support/craftRsaKey.js';
import type { Decision, PolicyInput } from './PolicyInput.js';
import { verifyRequest } from './verifyRequest.js';

const DOMAIN_SID = 'S-1-5-21-1004336348-1177238915-682003330';

function user(name: string, over: Partial<DirectoryUser> = {}): DirectoryUser {
  const display = `${name[0].toUpperCase() + name.slice(1)} Smith`;
  return {
    username: name,
    upn: `${name}@tessera.local`,
    email: `${name}@example.com`,
    displayName: display,
    sid: `${DOMAIN_SID}-${1100 + name.length}`,
    dn: `CN=${display},CN=Users,DC=tessera,DC=local`,
    enabled: true,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    groups: ['Domain Users', 'Smartcard Users'],
    ...over,
  };
}

const alice = user('alice');
const mallory = user('mallory');
const template = (name: string, over: Partial<Template> = {}): Template => ({
  ...BUILTIN_TEMPLATES.find((t) => t.name === name)!,
  enroll: ['Smartcard Users'],
  ...over,
});
const smartcardUser = template('SmartcardUser');

/** A PolicyInput for alice asking for SmartcardUser with a fresh P-256 key, overridable. */
function input(over: Partial<PolicyInput> & { csr?: Buffer } = {}): PolicyInput {
  const { csr, ...rest } = over;
  const t = rest.template === undefined && !('template' in rest) ? smartcardUser : rest.template;
  return {
    request: decodeRequest(csr ?? craftCsr()),
    templateName: t?.name ?? 'SmartcardUser',
    template: t,
    requester: alice,
    subject: alice,
    agentSignatures: [],
    agentPermitted: false,
    attributes: {},
    nameOwners: { upn: [alice], email: [alice] },
    approvedBy: null,
    ...rest,
  };
}

function denied(d: Decision): { code: string; detail: string } {
  expect(d.kind).toBe('deny');
  return d as { kind: 'deny'; code: string; detail: string };
}

function issued(d: Decision) {
  expect(d.kind, JSON.stringify(d)).toBe('issue');
  return (d as Extract<Decision, { kind: 'issue' }>).profile;
}

describe('issue', () => {
  it('issues Smartcard User with subject, UPN, e-mail and SID from the directory', () => {
    const d = verifyRequest(input());
    const p = issued(d);
    expect(p.subject).toEqual([
      { type: 'DC', value: 'local' },
      { type: 'DC', value: 'tessera' },
      { type: 'CN', value: 'Users' },
      { type: 'CN', value: 'Alice Smith' },
      { type: 'E', value: 'alice@example.com' },
    ]);
    expect(p.san).toEqual([
      { type: 'upn', value: 'alice@tessera.local' },
      { type: 'email', value: 'alice@example.com' },
    ]);
    expect(p.sid).toBe(alice.sid);
    expect(p.subjectUser).toBe('alice');
    expect(p.ekus).toEqual([OID.clientAuth, OID.emailProtection, OID.smartcardLogon]);
    expect(p.validityDays).toBe(365);
    expect(p.applicationPolicies).toBe(false);
    expect(d.notes).toEqual([]);
  });

  it('turns keyEncipherment into keyAgreement for an EC key (RFC 5480 §3)', () => {
    expect(issued(verifyRequest(input())).keyUsage).toEqual(['digitalSignature', 'keyAgreement']);
  });

  it('keeps keyEncipherment for an RSA key', () => {
    const { privateKey } = keyPair('rsa2048');
    expect(issued(verifyRequest(input({ csr: craftCsr({ key: privateKey }) }))).keyUsage).toEqual([
      'digitalSignature',
      'keyEncipherment',
    ]);
  });

  it('emits application policies for a v2 template', () => {
    const v2 = template('SmartcardUser', {
      name: 'SmartcardUserV2',
      schemaVersion: 2,
      oid: '1.3.6.1.4.1.311.21.8.1.1',
      majorVersion: 100,
    });
    const p = issued(verifyRequest(input({ template: v2 })));
    expect(p.applicationPolicies).toBe(true);
    expect(p.template).toEqual({
      name: 'SmartcardUserV2',
      schemaVersion: 2,
      oid: '1.3.6.1.4.1.311.21.8.1.1',
      majorVersion: 100,
      minorVersion: 0,
    });
  });

  it('has no side effects: the same input gives the same decision', () => {
    const i = input();
    expect(verifyRequest(i)).toEqual(verifyRequest(i));
  });
});

describe('deny', () => {
  it('denies a request without any template with TEMPLATE_MISSING', () => {
    expect(denied(verifyRequest(input({ templateName: null, template: undefined }))).code).toBe('TEMPLATE_MISSING');
  });

  it('denies an unknown or disabled template with TEMPLATE_UNKNOWN naming it', () => {
    const d = denied(verifyRequest(input({ templateName: 'NoSuchTemplate', template: undefined })));
    expect(d).toMatchObject({ code: 'TEMPLATE_UNKNOWN', detail: 'NoSuchTemplate' });
    expect(denied(verifyRequest(input({ template: template('SmartcardUser', { enabled: false }) }))).code).toBe(
      'TEMPLATE_UNKNOWN',
    );
  });

  it('denies a disabled requester with USER_DISABLED', () => {
    const off = user('alice', { enabled: false });
    expect(denied(verifyRequest(input({ requester: off, subject: off })))).toMatchObject({ code: 'USER_DISABLED' });
  });

  it('denies a user without Enroll on the template with ENROLL_DENIED', () => {
    const outsider = user('alice', { groups: ['Domain Users'] });
    const d = denied(verifyRequest(input({ requester: outsider, subject: outsider })));
    expect(d.code).toBe('ENROLL_DENIED');
    expect(d.detail).toMatch(/Smartcard Users/);
  });

  it('denies RSA-1024 for Smartcard User with KEY_TOO_SMALL', () => {
    const { privateKey } = keyPair('rsa1024');
    const d = denied(verifyRequest(input({ csr: craftCsr({ key: privateKey }) })));
    expect(d).toMatchObject({
      code: 'KEY_TOO_SMALL',
      detail: 'RSA 1024 is below the minimum of 2048 bits for SmartcardUser',
    });
  });

  it(
    'denies an RSA-3072 key with a 3,070-bit public exponent ' +
      'with KEY_ALGORITHM_UNSUPPORTED, whatever the exponent rule',
    () => {
      const { privateKey } = rsaKeyWithExponent(3072, 3070);
      const csr = craftCsr({ key: privateKey });
      expect(denied(verifyRequest(input({ csr })))).toMatchObject({
        code: 'KEY_ALGORITHM_UNSUPPORTED',
        detail:
          'the RSA public exponent is a 3070-bit number; exponents above 2^256 − 1 are ' +
          'never accepted (CA/B Baseline Requirements §6.1.6, NIST SP 800-89 §5.3.3)',
      });
      const odd = template('SmartcardUser', {
        keyAlgorithms: { ...smartcardUser.keyAlgorithms, rsaPublicExponent: 'odd' },
      });
      expect(denied(verifyRequest(input({ csr, template: odd }))).code).toBe('KEY_ALGORITHM_UNSUPPORTED');
    },
  );

  it('accepts an exponent other than 65537 only when the template allows odd exponents, up to 2^256 − 1', () => {
    const odd = template('SmartcardUser', {
      keyAlgorithms: { ...smartcardUser.keyAlgorithms, rsaPublicExponent: 'odd' },
    });
    const three = craftCsr({ key: generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).privateKey });
    expect(denied(verifyRequest(input({ csr: three })))).toMatchObject({
      code: 'KEY_ALGORITHM_UNSUPPORTED',
      detail:
        'the RSA public exponent is 3; SmartcardUser accepts only 65537 (keyAlgorithms.rsaPublicExponent "65537")',
    });
    expect(issued(verifyRequest(input({ csr: three, template: odd }))).key).toEqual({ kind: 'rsa', bits: 2048 });
    const e256 = craftCsr({ key: rsaKeyWithExponent(2048, 256).privateKey });
    expect(issued(verifyRequest(input({ csr: e256, template: odd }))).key).toEqual({ kind: 'rsa', bits: 2048 });
    expect(denied(verifyRequest(input({ csr: e256 }))).detail).toMatch(
      /^the RSA public exponent is a 256-bit number; SmartcardUser accepts only 65537/,
    );
    const e257 = craftCsr({ key: rsaKeyWithExponent(2048, 257).privateKey });
    expect(denied(verifyRequest(input({ csr: e257, template: odd }))).detail).toMatch(
      /^the RSA public exponent is a 257-bit number; exponents above 2\^256 − 1 are never accepted/,
    );
  });

  it(
    "denies an RSA key above the template's maximum with " +
      'KEY_ALGORITHM_UNSUPPORTED, and issues RSA 2048 with 65537',
    () => {
      const { privateKey } = keyPair('rsa2048');
      const csr = craftCsr({ key: privateKey });
      expect(issued(verifyRequest(input({ csr }))).key).toEqual({ kind: 'rsa', bits: 2048 });
      const small = template('SmartcardUser', { keyAlgorithms: { ...smartcardUser.keyAlgorithms, rsaMaxBits: 2048 } });
      const rsa3072 = craftCsr({ key: generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey });
      expect(denied(verifyRequest(input({ csr: rsa3072, template: small })))).toMatchObject({
        code: 'KEY_ALGORITHM_UNSUPPORTED',
        detail: 'RSA 3072 is above the maximum of 2048 bits for SmartcardUser (keyAlgorithms.rsaMaxBits)',
      });
      expect(issued(verifyRequest(input({ csr, template: small }))).key).toEqual({ kind: 'rsa', bits: 2048 });
    },
  );

  it('denies a curve the template does not list with KEY_NOT_ALLOWED', () => {
    const p384Only = template('SmartcardUser', {
      keyAlgorithms: { ...smartcardUser.keyAlgorithms, ecCurves: ['P-384'] },
    });
    expect(denied(verifyRequest(input({ template: p384Only }))).code).toBe('KEY_NOT_ALLOWED');
    const { privateKey } = keyPair('rsa2048');
    const ecOnly = template('SmartcardUser', {
      keyAlgorithms: { ...smartcardUser.keyAlgorithms, rsaMinBits: null, ecCurves: ['P-256'] },
    });
    expect(denied(verifyRequest(input({ template: ecOnly, csr: craftCsr({ key: privateKey }) }))).code).toBe(
      'KEY_NOT_ALLOWED',
    );
  });

  it('denies an AT_SIGNATURE key for an Exchange template with KEY_SPEC_MISMATCH', () => {
    const csp = attr(
      OID.enrollmentCspProvider,
      seq(integer(2), Buffer.from('1e00', 'hex'), Buffer.from('030100', 'hex')),
    );
    expect(denied(verifyRequest(input({ csr: craftCsr({ attributes: [csp] }) }))).code).toBe('KEY_SPEC_MISMATCH');
  });

  it('denies an unlisted provider only when the template enforces providers', () => {
    const name = 'Some Other CSP';
    const bmpName = Buffer.concat([Buffer.from([0x1e, name.length * 2]), Buffer.from(name, 'utf16le').swap16()]);
    const csr = craftCsr({
      attributes: [attr(OID.enrollmentCspProvider, seq(integer(1), bmpName, Buffer.from('030100', 'hex')))],
    });
    const informational = verifyRequest(input({ csr }));
    expect(informational.kind).toBe('issue');
    expect(informational.notes).toContain(`provider "${name}" is not listed by the template (informational)`);
    const enforced = template('SmartcardUser', { enforceProviders: true });
    expect(denied(verifyRequest(input({ csr, template: enforced })))).toMatchObject({
      code: 'PROVIDER_NOT_ALLOWED',
      detail: name,
    });
  });
});

describe('names from the directory (ESC1, ESC6, ESC9)', () => {
  const sanCsr = (names: Parameters<typeof encodeGeneralNames>[0]) =>
    craftCsr({ extensions: [ext(OID.subjectAltName, encodeGeneralNames(names))] });

  it('denies a requested SAN UPN of another user with NAME_NOT_ALLOWED (docs/security.md §1.1)', () => {
    const d = denied(verifyRequest(input({ csr: sanCsr([{ type: 'upn', value: 'administrator@tessera.local' }]) })));
    expect(d.code).toBe('NAME_NOT_ALLOWED');
    expect(d.detail).toBe(
      "the request asks for upn:administrator@tessera.local, which is not alice's in the directory",
    );
  });

  it("denies another user's SID, SID URI, e-mail or a DNS name", () => {
    expect(
      denied(
        verifyRequest(
          input({ csr: craftCsr({ extensions: [ext(OID.ntdsCaSecurityExt, encodeSidExtensionValue(mallory.sid!))] }) }),
        ),
      ).code,
    ).toBe('NAME_NOT_ALLOWED');
    expect(
      denied(verifyRequest(input({ csr: sanCsr([{ type: 'uri', value: SID_URI_PREFIX + mallory.sid }]) }))).code,
    ).toBe('NAME_NOT_ALLOWED');
    expect(denied(verifyRequest(input({ csr: sanCsr([{ type: 'email', value: mallory.email! }]) }))).code).toBe(
      'NAME_NOT_ALLOWED',
    );
    expect(denied(verifyRequest(input({ csr: sanCsr([{ type: 'dns', value: 'dc01.tessera.local' }]) }))).code).toBe(
      'NAME_NOT_ALLOWED',
    );
  });

  it('issues a request carrying its own UPN with the directory values and a note', () => {
    const d = verifyRequest(input({ csr: sanCsr([{ type: 'upn', value: 'ALICE@tessera.local' }]) }));
    const p = issued(d);
    expect(p.san).toEqual([
      { type: 'upn', value: 'alice@tessera.local' },
      { type: 'email', value: 'alice@example.com' },
    ]);
    expect(d.notes).toContain(
      'requested subject alternative names / SID match the directory; the certificate uses the directory values',
    );
  });

  it('ignores the requested subject DN, with a note', () => {
    const d = verifyRequest(
      input({ csr: craftCsr({ subject: encodeName([{ type: 'CN', value: 'Administrator' }]) }) }),
    );
    expect(issued(d).subject).not.toContainEqual({ type: 'CN', value: 'Administrator' });
    expect(d.notes).toContain('request subject "CN=Administrator" ignored; the subject is built from the directory');
  });

  it('ignores a SAN request attribute, with a note (ESC6)', () => {
    const d = verifyRequest(input({ attributes: { san: 'upn=administrator@tessera.local' } }));
    expect(issued(d).san).toEqual([
      { type: 'upn', value: 'alice@tessera.local' },
      { type: 'email', value: 'alice@example.com' },
    ]);
    expect(d.notes).toContain(
      'SAN request attribute "upn=administrator@tessera.local" ' +
        'ignored: SmartcardUser takes names from the directory (ESC6)',
    );
  });

  it('drops requested EKU, basic constraints and application policies, with a note (ESC15)', () => {
    const csr = craftCsr({
      extensions: [
        ext(OID.extKeyUsage, seq(oid(OID.certificateRequestAgent))),
        ext(OID.basicConstraints, seq(bool(true)), true),
        ext(OID.applicationPolicies, seq(seq(oid(OID.certificateRequestAgent)))),
        ext(OID.certificatePolicies, seq(seq(oid('1.2.3.4')))),
      ],
    });
    const d = verifyRequest(input({ csr }));
    const p = issued(d);
    expect(p.ekus).toEqual(smartcardUser.ekus);
    expect(p.applicationPolicies).toBe(false);
    expect(d.notes).toContain(
      `requested extensions not copied into the certificate: ${OID.extKeyUsage}, ` +
        `${OID.basicConstraints}, ${OID.applicationPolicies}, ${OID.certificatePolicies}`,
    );
  });

  it('denies when the directory lacks the UPN, e-mail or SID the template needs', () => {
    expect(
      denied(verifyRequest(input({ subject: user('alice', { upn: null }), requester: user('alice', { upn: null }) })))
        .code,
    ).toBe('DIRECTORY_UPN_MISSING');
    expect(
      denied(
        verifyRequest(input({ subject: user('alice', { email: null }), requester: user('alice', { email: null }) })),
      ).code,
    ).toBe('DIRECTORY_EMAIL_MISSING');
    expect(
      denied(verifyRequest(input({ subject: user('alice', { sid: null }), requester: user('alice', { sid: null }) })))
        .code,
    ).toBe('DIRECTORY_SID_MISSING');
  });

  it('denies a UPN or e-mail held by another account with NAME_NOT_UNIQUE (Certifried, docs/security.md §1.5)', () => {
    expect(denied(verifyRequest(input({ nameOwners: { upn: [alice, mallory], email: [alice] } })))).toMatchObject({
      code: 'NAME_NOT_UNIQUE',
    });
    expect(denied(verifyRequest(input({ nameOwners: { upn: [alice], email: [alice, mallory] } })))).toMatchObject({
      code: 'NAME_NOT_UNIQUE',
    });
    // The e-mail is not checked for a template that does not carry it.
    expect(
      verifyRequest(
        input({ template: template('SmartcardLogon'), nameOwners: { upn: [alice], email: [alice, mallory] } }),
      ).kind,
    ).toBe('issue');
  });

  it('carries a malformed requested SAN as a denial, not an exception', () => {
    // A UPN otherName holding an IA5String instead of a UTF8String (type confusion).
    const upnAsIa5 = seq(tlv(0xa0, oid(OID.userPrincipalName), explicit(0, ia5('alice@tessera.local'))));
    expect(
      denied(verifyRequest(input({ csr: craftCsr({ extensions: [ext(OID.subjectAltName, upnAsIa5)] }) }))).code,
    ).toBe('CSR_INVALID_EXTENSION');
  });
});

describe('pend', () => {
  const approval = template('SmartcardUser', {
    issuance: { managerApproval: true, agentSignatures: 0, agentPolicy: null },
  });

  it('pends a template that requires certificate manager approval', () => {
    const d = verifyRequest(input({ template: approval }));
    expect(d).toMatchObject({
      kind: 'pend',
      reason: 'The Smartcard User template requires certificate manager approval.',
    });
  });

  it('issues the same request once a manager approves, with all checks run again', () => {
    const manager = user('carol', { groups: ['Certificate Managers'] });
    expect(verifyRequest(input({ template: approval, approvedBy: manager })).kind).toBe('issue');
    const off = user('alice', { enabled: false });
    expect(
      denied(verifyRequest(input({ template: approval, approvedBy: manager, requester: off, subject: off }))).code,
    ).toBe('USER_DISABLED');
  });

  it('does not pend what it denies: a bad name is refused before approval is considered', () => {
    const csr = craftCsr({
      extensions: [
        ext(OID.subjectAltName, encodeGeneralNames([{ type: 'upn', value: 'administrator@tessera.local' }])),
      ],
    });
    expect(denied(verifyRequest(input({ template: approval, csr }))).code).toBe('NAME_NOT_ALLOWED');
  });
});

describe('names from the request (WebServer only)', () => {
  const web = template('WebServer');
  const admin = user('admin', { groups: ['Smartcard Users'] });
  const dnsCsr = (names: Parameters<typeof encodeGeneralNames>[0], cn = 'www.example.com') =>
    craftCsr({
      subject: encodeName([
        { type: 'O', value: 'Ignored' },
        { type: 'CN', value: cn },
      ]),
      extensions: [ext(OID.subjectAltName, encodeGeneralNames(names))],
    });

  it('pends until a manager approves, then takes the CN and DNS names from the request', () => {
    const csr = dnsCsr([{ type: 'dns', value: 'www.example.com' }]);
    expect(verifyRequest(input({ template: web, requester: admin, subject: admin, csr })).kind).toBe('pend');
    const d = verifyRequest(
      input({
        template: web,
        requester: admin,
        subject: admin,
        csr,
        approvedBy: user('carol'),
        attributes: { san: 'dns=alt.example.com' },
      }),
    );
    const p = issued(d);
    expect(p.subject).toEqual([{ type: 'CN', value: 'www.example.com' }]);
    expect(p.san).toEqual([
      { type: 'dns', value: 'www.example.com' },
      { type: 'dns', value: 'alt.example.com' },
    ]);
    expect(p.sid).toBeNull();
    expect(p.subjectUser).toBeNull();
    expect(d.notes).toContain('subject attributes other than CN ignored: O=Ignored');
  });

  it('refuses a UPN or a malformed DNS name in a server request', () => {
    const approved = { template: web, requester: admin, subject: admin, approvedBy: user('carol') };
    expect(
      denied(verifyRequest(input({ ...approved, csr: dnsCsr([{ type: 'upn', value: 'admin@tessera.local' }]) }))).code,
    ).toBe('NAME_NOT_ALLOWED');
    expect(
      denied(verifyRequest(input({ ...approved, csr: dnsCsr([{ type: 'dns', value: 'bad_host!' }]) }))),
    ).toMatchObject({
      code: 'NAME_INVALID',
      detail:
        'SAN dNSName "bad_host!" is not a valid host name: the label ' +
        '"bad_host!" is not letters, digits and inner hyphens (RFC 1123 §2.1)',
    });
    expect(
      denied(
        verifyRequest(
          input({
            ...approved,
            csr: dnsCsr([{ type: 'dns', value: 'ok.example' }]),
            attributes: { san: 'upn=admin@tessera.local' },
          }),
        ),
      ).code,
    ).toBe('NAME_NOT_ALLOWED');
  });

  describe('the common name of a Server Authentication template (CA/B BR §7.1.4.2, RFC 6125)', () => {
    const approved = { template: web, requester: admin, subject: admin, approvedBy: user('carol') };
    const cnCsr = (cn: string, san?: Parameters<typeof encodeGeneralNames>[0]) =>
      craftCsr({
        subject: encodeName([{ type: 'CN', value: cn }]),
        ...(san ? { extensions: [ext(OID.subjectAltName, encodeGeneralNames(san))] } : {}),
      });
    const decide = (cn: string, san?: Parameters<typeof encodeGeneralNames>[0], t = web) =>
      verifyRequest(input({ ...approved, template: t, csr: cnCsr(cn, san) }));

    it('denies CN=CA Administrator for Web Server with NAME_INVALID, pending or approved', () => {
      const csr = cnCsr('CA Administrator');
      expect(denied(verifyRequest(input({ template: web, requester: admin, subject: admin, csr })))).toMatchObject({
        code: 'NAME_INVALID',
        detail:
          'common name "CA Administrator" is not a valid host name: it contains spaces ' +
          'or control characters; a DNS name is letters, digits, hyphens and dots',
      });
      // A valid SAN does not make an invalid CN acceptable: the CN is carried in the SAN too.
      expect(denied(decide('CA Administrator', [{ type: 'dns', value: 'www.example.com' }])).code).toBe('NAME_INVALID');
    });

    it('puts a DNS common name into the SAN as a lower-case dNSName, once', () => {
      expect(issued(decide('WWW.Example.COM'))).toMatchObject({
        subject: [{ type: 'CN', value: 'www.example.com' }],
        san: [{ type: 'dns', value: 'www.example.com' }],
      });
      expect(
        issued(
          decide('www.example.com', [
            { type: 'dns', value: 'alt.example.com' },
            { type: 'dns', value: 'WWW.example.com' },
          ]),
        ).san,
      ).toEqual([
        { type: 'dns', value: 'www.example.com' },
        { type: 'dns', value: 'alt.example.com' },
      ]);
      expect(issued(decide('xn--bcher-kva.example')).san).toEqual([{ type: 'dns', value: 'xn--bcher-kva.example' }]);
      expect(issued(decide('host-01')).san).toEqual([{ type: 'dns', value: 'host-01' }]);
    });

    it('puts an IPv4 or IPv6 common name into the SAN as an iPAddress (RFC 5952 text)', () => {
      expect(issued(decide('192.0.2.10'))).toMatchObject({
        subject: [{ type: 'CN', value: '192.0.2.10' }],
        san: [{ type: 'ip', value: '192.0.2.10' }],
      });
      expect(issued(decide('2001:DB8:0:0:0:0:0:1'))).toMatchObject({
        subject: [{ type: 'CN', value: '2001:db8::1' }],
        san: [{ type: 'ip', value: '2001:db8::1' }],
      });
      expect(issued(decide('www.example.com', [{ type: 'ip', value: '2001:db8::1' }])).san).toEqual([
        { type: 'dns', value: 'www.example.com' },
        { type: 'ip', value: '2001:db8::1' },
      ]);
      const attrd = verifyRequest(
        input({
          ...approved,
          csr: cnCsr('www.example.com'),
          attributes: { san: 'dns=alt.example.com&ipaddress=198.51.100.7' },
        }),
      );
      expect(issued(attrd).san).toEqual([
        { type: 'dns', value: 'www.example.com' },
        { type: 'dns', value: 'alt.example.com' },
        { type: 'ip', value: '198.51.100.7' },
      ]);
    });

    it('refuses names that are not LDH host names, with the reason', () => {
      const reason = (cn: string) =>
        denied(decide(cn)).detail.replace(/^common name "[^"]*" is not a valid host name: /, '');
      expect(reason('www.example.com.')).toBe('remove the trailing dot');
      expect(reason('-www.example.com')).toMatch(/^the label "-www" is not letters, digits and inner hyphens/);
      expect(reason('a..example.com')).toBe('it has an empty label');
      expect(reason(`${'a'.repeat(64)}.example.com`)).toMatch(/longer than 63 characters/);
      expect(reason(`${'a.'.repeat(127)}com`)).toMatch(/more than the 253 of a DNS name/);
      expect(reason('ab--cd.example.com')).toMatch(/has "--" in positions 3–4 but is not a valid A-label/);
      expect(reason('xn--zz.example.com')).toMatch(/not a valid A-label/);
      expect(reason('bücher.example')).toBe(
        'internationalized names are requested in their A-label form (RFC 5890), here "xn--bcher-kva.example"',
      );
      expect(reason('192.0.2')).toMatch(/^the last label is all digits/);
      expect(reason('fe80::1%eth0')).toMatch(/zone identifier/);
      expect(reason('w*.example.com')).toBe('a wildcard is only a whole leftmost "*" label');
      expect(denied(decide('www.example.com', [{ type: 'dns', value: '192.0.2.1' }])).detail).toMatch(
        /an IP address belongs in an iPAddress name, not a dNSName/,
      );
      for (const cn of ['www.example.com.', 'bücher.example', 'CA Administrator', 'a b'])
        expect(denied(decide(cn)).code).toBe('NAME_INVALID');
    });

    it('takes a wildcard only when the template allows it (san.dnsWildcard), and never "*.com"', () => {
      expect(denied(decide('*.example.com'))).toMatchObject({
        code: 'NAME_NOT_ALLOWED',
        detail: 'common name "*.example.com" is a wildcard, which WebServer does not allow (san.dnsWildcard)',
      });
      expect(denied(decide('www.example.com', [{ type: 'dns', value: '*.example.com' }])).code).toBe(
        'NAME_NOT_ALLOWED',
      );
      const wild = template('WebServer', { san: { ...web.san, dnsWildcard: true } });
      expect(issued(decide('*.Example.com', undefined, wild)).san).toEqual([{ type: 'dns', value: '*.example.com' }]);
      expect(denied(decide('*.com', undefined, wild))).toMatchObject({
        code: 'NAME_INVALID',
        detail: expect.stringContaining('at least two labels after "*."'),
      });
    });
  });
});
