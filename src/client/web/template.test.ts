/**
 * The page's own checks before a key is made: template options as the certsrv page
 * renders them, key algorithm and size against the template, key usage locked to the
 * key spec, and the CertAttrib / FriendlyType fields posted to certfnsh.asp.
 */
import { describe, expect, it } from 'vitest';
import { buildCertAttrib, friendlyType, p12FileName, parseTypedAttributes } from './certAttrib.js';
import {
  agentTemplateMessage,
  checkKeyChoice,
  defaultKeySize,
  keySpecNumber,
  keyUsageFor,
  parseTemplate,
} from './template.js';

const smartcardUser = parseTemplate('SmartcardUser', {
  name: 'SmartcardUser',
  display: 'Smartcard User',
  keySpec: 'exchange',
  rsaMin: '2048',
  ecCurves: 'P-256,P-384',
  agentSignatures: '0',
  templateOid: '',
  major: '',
  minor: '',
});
const ecOnly = parseTemplate('EcOnly', {
  name: 'EcOnly',
  display: 'EC Only',
  keySpec: 'signature',
  rsaMin: '',
  ecCurves: 'P-384',
  agentSignatures: '0',
  templateOid: '1.3.6.1.4.1.311.21.8.1.2',
  major: '100',
  minor: '3',
});
const agentOnly = parseTemplate('SmartcardLogonEA', {
  name: 'SmartcardLogonEA',
  display: 'Smartcard Logon (agent)',
  keySpec: 'both',
  rsaMin: '3072',
  ecCurves: '',
  agentSignatures: '1',
});

describe('template options', () => {
  it('reads the data-* attributes of an option', () => {
    expect(smartcardUser).toEqual({
      name: 'SmartcardUser',
      display: 'Smartcard User',
      keySpec: 'exchange',
      rsaMin: 2048,
      ecCurves: ['P-256', 'P-384'],
      agentSignatures: 0,
      v2: null,
    });
    expect(ecOnly).toMatchObject({
      rsaMin: null,
      ecCurves: ['P-384'],
      v2: { oid: '1.3.6.1.4.1.311.21.8.1.2', major: 100, minor: 3 },
    });
    expect(agentOnly.agentSignatures).toBe(1);
  });

  it(
    'locks key usage to the key spec (0 Exchange, 1 Signature, 2 ' +
      'Both) and maps it to AT_KEYEXCHANGE / AT_SIGNATURE',
    () => {
      expect([keyUsageFor(smartcardUser), keyUsageFor(ecOnly), keyUsageFor(agentOnly)]).toEqual(['0', '1', '2']);
      expect([keySpecNumber('0'), keySpecNumber('1'), keySpecNumber('2')]).toEqual([1, 2, 1]);
    },
  );

  it('offers 2048 bits, or the template minimum when larger', () => {
    expect(defaultKeySize(smartcardUser)).toBe(2048);
    expect(defaultKeySize(agentOnly)).toBe(3072);
  });

  it('refuses a key size below the template minimum, naming the size field', () => {
    expect(checkKeyChoice(smartcardUser, 'rsa', 1024)).toEqual({
      field: 'tbKeySize',
      message: 'The Smartcard User template needs an RSA key of at least 2048 bits; 1024 is too small.',
    });
    expect(checkKeyChoice(smartcardUser, 'rsa', 2048)).toBeNull();
    expect(checkKeyChoice(smartcardUser, 'rsa', 2050)?.field).toBe('tbKeySize');
    expect(checkKeyChoice(smartcardUser, 'rsa', NaN)?.message).toMatch(/Enter the key size/);
  });

  it('refuses an algorithm the template does not allow, saying what it allows', () => {
    expect(checkKeyChoice(ecOnly, 'rsa', 2048)).toEqual({
      field: 'lbKeyAlg',
      message: 'The EC Only template does not allow RSA keys. Choose ECDSA P-384.',
    });
    expect(checkKeyChoice(ecOnly, 'P-256', 0)?.message).toBe(
      'The EC Only template does not allow ECDSA P-256 keys. Choose ECDSA P-384.',
    );
    expect(checkKeyChoice(ecOnly, 'P-384', 0)).toBeNull();
    expect(checkKeyChoice(smartcardUser, 'P-256', 0)).toBeNull();
  });

  it('explains why an agent template cannot be requested on the self-service form', () => {
    expect(agentTemplateMessage(agentOnly)).toMatch(/needs the signature of an enrollment agent.*Enrollment Station/);
  });
});

describe('CertAttrib and FriendlyType', () => {
  it('puts the template first and the user agent last, every line ending CRLF', () => {
    const typed = parseTypedAttributes('  Extra:1\n\nOther:two words\r\nThird:3\r');
    expect(typed).toEqual({ lines: ['Extra:1', 'Other:two words', 'Third:3'] });
    expect(
      buildCertAttrib('SmartcardUser', (typed as { lines: string[] }).lines, 'Mozilla/5.0 Test\r\nInjected:1'),
    ).toBe(
      'CertificateTemplate:SmartcardUser\r\nExtra:1\r\nOther:two words\r\n' +
        'Third:3\r\nUserAgent:Mozilla/5.0 Test  Injected:1\r\n',
    );
    expect(buildCertAttrib('User', [], 'UA')).toBe('CertificateTemplate:User\r\nUserAgent:UA\r\n');
  });

  it('refuses typed lines that are not Name:Value, and a CertificateTemplate line', () => {
    expect(parseTypedAttributes('no colon here')).toEqual({ message: 'Line 1 ("no colon here") is not Name:Value.' });
    expect(parseTypedAttributes('certificatetemplate:WebServer')).toMatchObject({
      message: expect.stringMatching(/Choose the certificate template/),
    });
    expect(parseTypedAttributes(':x')).toMatchObject({ message: expect.stringMatching(/not Name:Value/) });
    expect(parseTypedAttributes(`${'x'.repeat(10)}:${'y'.repeat(5000)}`)).toMatchObject({
      message: expect.stringMatching(/too long/),
    });
  });

  it('names the pending entry "<display> Certificate (<date>)" and the download "<friendly name>.p12"', () => {
    expect(friendlyType('Smartcard User', new Date(2024, 0, 2, 3, 4, 5))).toMatch(
      /^Smartcard User Certificate \(.+\)$/,
    );
    expect(p12FileName('Smartcard Certificate')).toBe('Smartcard Certificate.p12');
    expect(p12FileName('a/b:c*?')).toBe('a_b_c__.p12');
    expect(p12FileName('   ')).toBe('certificate.p12');
  });
});
