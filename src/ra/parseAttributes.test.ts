/**
 * CertAttrib text as certsrv posts it (parseAttributes.ts, docs/certsrv.md §2):
 * one `Name:Value` per line, names case-insensitive, bounded.
 */
import { describe, expect, it } from 'vitest';
import { TesseraError } from '../errors/TesseraError.js';
import { parseAttributes } from './parseAttributes.js';

describe('parseAttributes', () => {
  it('reads Name:Value lines split by CR LF or LF, names lower-cased, values trimmed', () => {
    expect(
      parseAttributes('CertificateTemplate:SmartcardUser\r\nSAN: upn=admin@corp \nUserAgent:Mozilla/5.0 (X11; Linux)'),
    ).toEqual({
      certificatetemplate: 'SmartcardUser',
      san: 'upn=admin@corp',
      useragent: 'Mozilla/5.0 (X11; Linux)',
    });
  });

  it('keeps colons in values and skips lines without a name', () => {
    expect(parseAttributes('ccm:host.example:443\r\n:orphan\r\nno colon here\r\n\r\n')).toEqual({
      ccm: 'host.example:443',
    });
  });

  it('skips names that are not plain identifiers', () => {
    expect(parseAttributes('bad name:x\r\n<script>:y\r\nok_name.1-2:z')).toEqual({ 'ok_name.1-2': 'z' });
  });

  it('accepts a map, lower-casing names, and refuses non-string values', () => {
    expect(parseAttributes({ CertificateTemplate: 'User' })).toEqual({ certificatetemplate: 'User' });
    expect(() => parseAttributes({ a: 1 as unknown as string })).toThrow(TesseraError);
    expect(parseAttributes(undefined)).toEqual({});
  });

  it('refuses attribute text longer than 16 KiB with INPUT_INVALID', () => {
    try {
      parseAttributes(`a:${'x'.repeat(16 * 1024)}`);
      expect.unreachable();
    } catch (e) {
      expect((e as TesseraError).code).toBe('INPUT_INVALID');
    }
  });
});
