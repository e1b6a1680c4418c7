// The benchmark's CSRs: N distinct keys (half RSA-2048, half ECDSA P-256, interleaved),
// each with its own PKCS#10, generated once and cached under bench/work/ (gitignored).
// Key generation runs on the libuv pool; RSA-2048 takes a few tens of ms per key.
import { generateKeyPair, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const gen = promisify(generateKeyPair);

export async function loadCsrs(root, n) {
  const work = join(root, 'bench/work');
  const file = join(work, `csrs-${n}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  mkdirSync(work, { recursive: true });
  const { buildCsr } = await import(join(root, 'dist/x509/buildCsr.js'));
  const { encodeName } = await import(join(root, 'dist/x509/name.js'));
  const { toPem } = await import(join(root, 'dist/x509/pem.js'));
  process.stderr.write(`generating ${n} CSRs (${n / 2} RSA-2048, ${n / 2} P-256) into ${file} …\n`);
  const out = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const kind = i % 2 === 0 ? 'rsa' : 'ec';
      const { privateKey, publicKey } =
        kind === 'rsa' ? await gen('rsa', { modulusLength: 2048 }) : await gen('ec', { namedCurve: 'P-256' });
      const spki = publicKey.export({ format: 'der', type: 'spki' });
      const subject = encodeName([
        { type: 'O', value: 'Tessera Bench' },
        { type: 'CN', value: `bench-${String(i).padStart(5, '0')}` },
      ]);
      const der = await buildCsr({
        spki,
        keyKind: kind,
        hash: 'SHA-256',
        subject,
        sign: async (d) => sign('sha256', d, privateKey),
      });
      out[i] = { kind, pem: toPem(der, 'CERTIFICATE REQUEST') };
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  writeFileSync(file, JSON.stringify(out));
  return out;
}
