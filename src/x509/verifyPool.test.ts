/**
 * Signature checks off the event loop (verifyPool.ts, csr.ts parseCsrAsync) give the same
 * answers and the same errors as the synchronous path, and the cheaper RSA key loading
 * (publicKey.ts publicKeyObject, PKCS#1) loads the very same key.
 */
import { createPublicKey, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { craftCsr } from '../../test/support/craftCsr.js';
import { opensslCsr } from '../../test/support/openssl.js';
import { TesseraError } from '../errors/TesseraError.js';
import { parseCsr, parseCsrAsync } from './csr.js';
import { decodeRequestBytes } from './pem.js';
import { decodeRequest, decodeRequestAsync } from './request.js';
import { decodeSignatureAlgorithm, decodeSpki, publicKeyObject, verifySignatureAsync } from './publicKey.js';
import { signatureAlgorithmDer } from './publicKey.js';

const der = (pem: string) => decodeRequestBytes(pem);

async function outcome(p: () => unknown): Promise<string> {
  try {
    const r = await p();
    return `ok ${JSON.stringify((r as { subject?: unknown }).subject ?? null)}`;
  } catch (e) {
    if (e instanceof TesseraError) return e.code;
    throw e;
  }
}

/** Flip one bit of the signature BIT STRING's last octet. */
function corrupt(d: Buffer): Buffer {
  const c = Buffer.from(d);
  c[c.length - 1] ^= 1;
  return c;
}

describe('CSR signatures checked off the event loop', () => {
  const cases: [string, Buffer][] = [];
  for (const k of ['P-256', 'P-384', 'rsa:2048'] as const) {
    const good = der(opensslCsr(k, { subject: `/CN=${k}` }).csr);
    cases.push([`${k} good`, good], [`${k} bad signature`, corrupt(good)]);
  }

  it.each(cases)('%s: parseCsrAsync agrees with parseCsr', async (_name, d) => {
    const sync = await outcome(() => parseCsr(d));
    expect(await outcome(() => parseCsrAsync(d))).toBe(sync);
    expect(await outcome(() => decodeRequestAsync(d))).toBe(await outcome(() => decodeRequest(d)));
  });

  it(
    'reports the signature, not a crash, for an EC key ' + 'with an RSA signature algorithm (and the reverse)',
    async () => {
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
      for (const [key, alg] of [
        [ec, signatureAlgorithmDer('rsa-pkcs1', 'sha256')],
        [rsa, signatureAlgorithmDer('ecdsa', 'sha256')],
      ] as const) {
        const d = craftCsr({ key: key.privateKey, sigAlg: alg });
        expect(await outcome(() => parseCsrAsync(d))).toBe(await outcome(() => parseCsr(d)));
      }
    },
  );

  it('checks many at once and keeps each answer with its request', async () => {
    const good = der(opensslCsr('P-256').csr);
    const bad = corrupt(good);
    const all = await Promise.all(
      Array.from({ length: 40 }, (_, i) => outcome(() => parseCsrAsync(i % 3 === 0 ? bad : good))),
    );
    all.forEach((o, i) => {
      expect(o.startsWith(i % 3 === 0 ? 'CSR_BAD_SIGNATURE' : 'ok')).toBe(true);
    });
  });

  it('refuses an EC key that cannot be loaded with the same error as the synchronous path', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = Buffer.from(publicKey.export({ format: 'der', type: 'spki' }));
    // Move the point off the curve: decodeSpki accepts it, OpenSSL does not load it.
    spki[spki.length - 1] ^= 0x55;
    const data = Buffer.from('to be signed');
    const alg = decodeSignatureAlgorithm(signatureAlgorithmDer('ecdsa', 'sha256'));
    const sig = cryptoSign('sha256', data, privateKey);
    let syncCode = '';
    try {
      publicKeyObject(spki);
    } catch (e) {
      syncCode = (e as TesseraError).code;
    }
    expect(syncCode).toBe('KEY_ALGORITHM_UNSUPPORTED');
    await expect(verifySignatureAsync(alg, spki, decodeSpki(spki), data, sig)).rejects.toMatchObject({
      code: 'KEY_ALGORITHM_UNSUPPORTED',
    });
  });
});

describe('publicKeyObject', () => {
  it('loads an RSA SPKI through its PKCS#1 key: the same key as OpenSSL reads from the SPKI', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    const k = publicKeyObject(spki);
    expect(k.asymmetricKeyType).toBe('rsa');
    expect(
      k
        .export({ format: 'der', type: 'spki' })
        .equals(createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'der', type: 'spki' })),
    ).toBe(true);
  });

  it('refuses a truncated RSA SPKI as before', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const spki = Buffer.from(publicKey.export({ format: 'der', type: 'spki' }));
    expect(() => publicKeyObject(spki.subarray(0, 40))).toThrow(TesseraError);
  });
});
