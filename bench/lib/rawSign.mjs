// The physical limit: raw signature operations per second with the CA's key type on all
// cores — Node's crypto.sign in one worker thread per core, and `openssl speed -multi`.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { sh } from './proc.mjs';

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createPrivateKey, sign } = require('node:crypto');
const key = createPrivateKey({ key: workerData.pem, format: 'pem' });
const data = Buffer.from(workerData.data);
const end = performance.now() + workerData.ms;
let n = 0;
while (performance.now() < end) { for (let i = 0; i < 16; i++) sign('sha256', data, key); n += 16; }
parentPort.postMessage(n);
`;

export async function nodeSignRate(keyAlgorithm, seconds = 3) {
  const { privateKey } =
    keyAlgorithm === 'RSA-2048'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
  const data = randomBytes(900); // about the size of a TBSCertificate
  const ms = seconds * 1000;
  const counts = await Promise.all(
    cpus().map(
      () =>
        new Promise((resolve, reject) => {
          const w = new Worker(WORKER, { eval: true, workerData: { pem, data, ms } });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    ),
  );
  return counts.reduce((a, b) => a + b, 0) / seconds;
}

export function opensslSpeed(keyAlgorithm, seconds = 3) {
  const alg = keyAlgorithm === 'RSA-2048' ? 'rsa2048' : 'ecdsap256';
  const r = sh('openssl', ['speed', '-multi', String(cpus().length), '-seconds', String(seconds), alg]);
  const line = r.stdout
    .split('\n')
    .reverse()
    .find((l) => (alg === 'rsa2048' ? /^rsa\s+2048 bits/.test(l) : /256 bits ecdsa/.test(l)));
  const nums =
    line
      ?.trim()
      .split(/\s+/)
      .filter((x) => /^\d+(\.\d+)?$/.test(x))
      .map(Number) ?? [];
  // The last two figures are sign/s and verify/s.
  return nums.length >= 2 ? nums[nums.length - 2] : NaN;
}
