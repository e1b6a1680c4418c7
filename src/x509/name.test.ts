/**
 * X.501 Names (name.ts): encodeName byte for byte against @peculiar/asn1-x509, and the
 * RFC 4514 string form both ways.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { readTlv } from './der.js';
import { decodeName, EMPTY_NAME, encodeName, formatName, parseName, type NameAttribute } from './name.js';
import { OID } from './oids.js';

const rdn = (type: string, value: AttributeValue) =>
  new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value })]);

describe('encodeName', () => {
  it(
    'writes a directory DN as @peculiar/asn1-x509 does: ' +
      'UTF8String values, IA5String DC and e-mail, PrintableString C',
    () => {
      const attrs: NameAttribute[] = [
        { type: 'DC', value: 'local' },
        { type: 'DC', value: 'tessera' },
        { type: 'CN', value: 'Users' },
        { type: 'CN', value: 'Zoë Ångström, Jr.' },
        { type: 'C', value: 'DE' },
        { type: 'O', value: 'Tessera Tests' },
        { type: 'OU', value: 'PKI' },
        { type: 'serialNumber', value: '12345' },
        { type: 'E', value: 'zoe@example.com' },
        { type: '2.5.4.97', value: 'VATDE-123' },
      ];
      const lib = new Name([
        rdn(OID.domainComponent, new AttributeValue({ ia5String: 'local' })),
        rdn(OID.domainComponent, new AttributeValue({ ia5String: 'tessera' })),
        rdn(OID.commonName, new AttributeValue({ utf8String: 'Users' })),
        rdn(OID.commonName, new AttributeValue({ utf8String: 'Zoë Ångström, Jr.' })),
        rdn(OID.countryName, new AttributeValue({ printableString: 'DE' })),
        rdn(OID.organizationName, new AttributeValue({ utf8String: 'Tessera Tests' })),
        rdn(OID.organizationalUnitName, new AttributeValue({ utf8String: 'PKI' })),
        rdn(OID.serialNumber, new AttributeValue({ printableString: '12345' })),
        rdn(OID.emailAddress, new AttributeValue({ ia5String: 'zoe@example.com' })),
        rdn('2.5.4.97', new AttributeValue({ utf8String: 'VATDE-123' })),
      ]);
      const ours = encodeName(attrs);
      expect(ours).toEqual(Buffer.from(AsnConvert.serialize(lib)));
      // And the library re-serialises what it parses from ours unchanged.
      expect(Buffer.from(AsnConvert.serialize(AsnConvert.parse(ours, Name)))).toEqual(ours);
    },
  );

  it('writes the empty name as an empty SEQUENCE', () => {
    expect(encodeName([])).toEqual(EMPTY_NAME);
    expect(EMPTY_NAME).toEqual(Buffer.from(AsnConvert.serialize(new Name())));
  });

  it('reads back what it writes, in sequence order with short names', () => {
    const attrs = [
      { type: 'DC', value: 'local' },
      { type: 'CN', value: 'Alice' },
      { type: 'E', value: 'alice@example.com' },
      { type: '2.5.4.97', value: 'x' },
    ];
    const der = encodeName(attrs);
    expect(decodeName(der, readTlv(der, 0, der.length))).toEqual(attrs);
  });
});

describe('RFC 4514 strings', () => {
  it('formats most significant last, as LDAP and AD show DNs', () => {
    expect(
      formatName([
        { type: 'DC', value: 'local' },
        { type: 'CN', value: 'Users' },
        { type: 'CN', value: 'Alice' },
      ]),
    ).toBe('CN=Alice,CN=Users,DC=local');
  });

  it.each([
    'Smith, John',
    'a+b',
    'say "hi"',
    'back\\slash',
    '<tag>',
    'semi;colon',
    'eq=uals',
    '#hash',
    ' leading',
    'trailing ',
    'two  trailing  ',
    'Zoë',
  ])('escapes and parses back %j', (value) => {
    const attrs = [
      { type: 'DC', value: 'local' },
      { type: 'CN', value },
    ];
    const text = formatName(attrs);
    expect(parseName(text)).toEqual(attrs);
  });

  it('parses an AD DN into sequence order', () => {
    expect(parseName('CN=Alice Smith,CN=Users,DC=tessera,DC=local')).toEqual([
      { type: 'DC', value: 'local' },
      { type: 'DC', value: 'tessera' },
      { type: 'CN', value: 'Users' },
      { type: 'CN', value: 'Alice Smith' },
    ]);
    expect(parseName('  ')).toEqual([]);
  });

  it('refuses a component without a type', () => {
    expect(() => parseName('CN=a,novalue')).toThrow(/not a distinguished name component/);
  });
});
