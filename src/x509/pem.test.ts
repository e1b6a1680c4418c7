/**
 * Request bytes in every shape certsrv clients send (pem.ts, docs/certsrv.md §2),
 * and the input caps that bound the work before any parsing.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { integer, seq } from './der.js';
import { base64Lines, decodeRequestBytes, MAX_REQUEST_DER, MAX_REQUEST_TEXT, pemBlocks, toPem } from './pem.js';
import { codeOf } from '../../test/support/codeOf.js';

const der = seq(integer(1), seq(integer(2)));
const b64 = der.toString('base64');

describe('decodeRequestBytes', () => {
  it('passes DER through', () => {
    expect(decodeRequestBytes(der)).toEqual(der);
  });

  it.each(['NEW CERTIFICATE REQUEST', 'CERTIFICATE REQUEST', 'PKCS7', 'CMS'])('reads PEM labelled %s', (label) => {
    expect(decodeRequestBytes(toPem(der, label))).toEqual(der);
    expect(decodeRequestBytes(toPem(der, label, '\r\n'))).toEqual(der);
    expect(decodeRequestBytes(Buffer.from(toPem(der, label)))).toEqual(der);
  });

  it('reads PEM flattened onto one line and headerless base64 with CRLF', () => {
    expect(decodeRequestBytes(toPem(der, 'CERTIFICATE REQUEST').replace(/\n/g, ''))).toEqual(der);
    expect(decodeRequestBytes(`-----BEGIN CERTIFICATE REQUEST----- ${b64} -----END CERTIFICATE REQUEST-----`)).toEqual(
      der,
    );
    expect(decodeRequestBytes(base64Lines(der, '\r\n'))).toEqual(der);
  });

  it('reads base64 whose "+" became spaces in form encoding', () => {
    const bytes = Buffer.from('MC+xMA==', 'base64');
    expect(bytes.toString('base64')).toBe('MC+xMA==');
    expect(decodeRequestBytes('MC xMA==')).toEqual(bytes);
  });

  it('drops RFC 1421 headers inside the PEM block', () => {
    const pem =
      '-----BEGIN CERTIFICATE REQUEST-----\n' +
      'Proc-Type: 4,ENCRYPTED\n' +
      `${b64}\n` +
      '-----END CERTIFICATE REQUEST-----\n';
    expect(decodeRequestBytes(pem)).toEqual(der);
  });

  it('rejects empty input with REQUEST_EMPTY', () => {
    expect(codeOf(() => decodeRequestBytes(''))).toBe('REQUEST_EMPTY');
    expect(codeOf(() => decodeRequestBytes(' \r\n\t '))).toBe('REQUEST_EMPTY');
    expect(codeOf(() => decodeRequestBytes(new Uint8Array(0)))).toBe('REQUEST_EMPTY');
    expect(
      codeOf(() => decodeRequestBytes('-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----')),
    ).toBe('REQUEST_EMPTY');
  });

  it('rejects base64 garbage and a BEGIN line without its END with REQUEST_MALFORMED', () => {
    expect(codeOf(() => decodeRequestBytes('this is not a request!'))).toBe('REQUEST_MALFORMED');
    expect(codeOf(() => decodeRequestBytes(`-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n`))).toBe('REQUEST_MALFORMED');
    expect(codeOf(() => decodeRequestBytes(Buffer.from([0x01, 0x02, 0xff])))).toBe('REQUEST_MALFORMED');
  });

  it('rejects DER above 64 KiB and text above 128 KiB with REQUEST_TOO_LARGE, before parsing', () => {
    const big = Buffer.concat([Buffer.from([0x30]), randomBytes(MAX_REQUEST_DER)]);
    expect(codeOf(() => decodeRequestBytes(big))).toBe('REQUEST_TOO_LARGE');
    expect(codeOf(() => decodeRequestBytes('A'.repeat(MAX_REQUEST_TEXT + 1)))).toBe('REQUEST_TOO_LARGE');
    expect(codeOf(() => decodeRequestBytes(Buffer.alloc(MAX_REQUEST_TEXT + 1, 0x41)))).toBe('REQUEST_TOO_LARGE');
    // base64 that decodes to more than the DER cap.
    expect(codeOf(() => decodeRequestBytes(Buffer.alloc(MAX_REQUEST_DER + 3, 0x30).toString('base64')))).toBe(
      'REQUEST_TOO_LARGE',
    );
    // Just under the caps is decoded (and left to the DER reader to judge).
    expect(decodeRequestBytes(Buffer.alloc(MAX_REQUEST_DER, 0x30)).length).toBe(MAX_REQUEST_DER);
  });
});

describe('PEM output', () => {
  it('writes 64-character lines that pemBlocks reads back', () => {
    const long = Buffer.from(randomBytes(500));
    const pem = toPem(long, 'CERTIFICATE');
    for (const line of pem.split('\n').filter((l) => l && !l.startsWith('-----')))
      expect(line.length).toBeLessThanOrEqual(64);
    expect(pemBlocks(pem + toPem(der, 'CERTIFICATE'), 'CERTIFICATE')).toEqual([long, der]);
  });
});
