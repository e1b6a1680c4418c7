/**
 * `tessera enroll-on-behalf`: an enrollment agent enrolls another user (the seed's second
 * method; AD CS "Enroll On Behalf Of" with certreq). The target's key is generated here
 * (a key file for now; the card commands put it on a smart card), the PKCS#10 is wrapped
 * in a CMC full PKI request that the new key signs (proof of possession) and the agent's
 * certificate countersigns, with `RequesterName=DOMAIN%5Cuser&` in id-cmc-regInfo
 * (research/certsrv.md §3.2), and submitted to the REST API over HTTPS as the agent.
 *
 * The CA builds subject, SAN and SID from the target's directory record; the agent's
 * restrictions decide whether the agent may enroll that user for that template.
 */
import type { Command } from 'commander';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { unlink, writeFile } from 'node:fs/promises';
import { CaClient, type EnrollResponse } from '../../../card/enroll/CaClient.js';
import { TesseraError } from '../../../errors/TesseraError.js';
import { buildCsr, type RequestHash } from '../../../x509/buildCsr.js';
import { buildCmcRequest, requesterNameRegInfo } from '../../../x509/cmc/buildCmcRequest.js';
import { readSignerCertificate } from '../../../x509/cmc/signerCertificate.js';
import { pemBlocks, toPem } from '../../../x509/pem.js';
import type { CliContext } from '../CliContext.js';
import { readInputFile, writeOutputFile } from '../readInputFile.js';

const KEY_ALGORITHMS = ['rsa:2048', 'rsa:3072', 'rsa:4096', 'P-256', 'P-384'] as const;
type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

interface Signing {
  readonly keyKind: 'rsa' | 'ec';
  readonly hash: RequestHash;
  readonly sign: (data: Uint8Array) => Promise<Uint8Array>;
}

/** Hash for a key: SHA-256 for RSA and P-256, the curve's size for larger curves (RFC 5480 §4). */
function signingFor(key: KeyObject): Signing {
  if (key.asymmetricKeyType === 'rsa') return { keyKind: 'rsa', hash: 'SHA-256', sign: async (d) => cryptoSign('sha256', d, key) };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const hash: RequestHash = curve === 'secp384r1' ? 'SHA-384' : curve === 'secp521r1' ? 'SHA-512' : 'SHA-256';
    const node = hash.replace('-', '').toLowerCase();
    return { keyKind: 'ec', hash, sign: async (d) => cryptoSign(node, d, key) };
  }
  throw new TesseraError('KEY_ALGORITHM_UNSUPPORTED', `${key.asymmetricKeyType} keys`);
}

function generate(alg: KeyAlgorithm): KeyObject {
  if (alg.startsWith('rsa:')) return generateKeyPairSync('rsa', { modulusLength: Number(alg.slice(4)) }).privateKey;
  return generateKeyPairSync('ec', { namedCurve: alg }).privateKey;
}

function loadCertificate(data: Buffer, path: string): Buffer {
  const text = data.toString('latin1');
  const der = text.includes('-----BEGIN CERTIFICATE-----') ? pemBlocks(text, 'CERTIFICATE')[0] : data;
  if (!der) throw new TesseraError('INPUT_INVALID', `--agent-cert ${path}: no certificate`);
  try {
    readSignerCertificate(der);
  } catch (e) {
    throw new TesseraError('INPUT_INVALID', `--agent-cert ${path}: not an X.509 certificate (${(e as TesseraError).detail ?? (e as Error).message})`);
  }
  return der;
}

function loadKey(data: Buffer, path: string): KeyObject {
  if (data.toString('latin1').includes('ENCRYPTED')) throw new TesseraError('INPUT_INVALID', `--agent-key ${path}: encrypted keys are not supported yet; use an unencrypted PKCS #8 PEM file with restricted permissions`);
  try {
    return createPrivateKey(data.toString('latin1').includes('-----BEGIN') ? data : { key: data, format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw new TesseraError('INPUT_INVALID', `--agent-key ${path}: not a private key (${(e as Error).message})`);
  }
}

/** The account part of DOMAIN\user or user@domain, for default file names. */
function accountOf(name: string): string {
  const n = name.includes('\\') ? name.slice(name.indexOf('\\') + 1) : name.split('@')[0];
  return n.replace(/[^A-Za-z0-9._-]/g, '_') || 'target';
}

async function writeKeyFile(path: string, pem: string): Promise<void> {
  try {
    // Never overwrite a key; readable by the owner only.
    await writeFile(path, pem, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    throw new TesseraError('FILE_NOT_WRITABLE', `${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('enroll-on-behalf')
    .description('as an enrollment agent, request a certificate for another user (CMC signed with the agent certificate)')
    .requiredOption('--server <url>', 'the Tessera site, e.g. https://ca.example.com:8443')
    .requiredOption('--user <name>', "the agent's user name at the CA")
    .option('--password-stdin', 'read the password from the first line of standard input')
    .requiredOption('--agent-cert <file>', "the agent's Enrollment Agent certificate (PEM or DER)")
    .requiredOption('--agent-key <file>', "the agent certificate's private key (PKCS #8 PEM or DER)")
    .requiredOption('--for <DOMAIN\\user>', 'the user to enroll (RequesterName): DOMAIN\\user or a UPN')
    .requiredOption('--template <name>', 'certificate template, e.g. SmartcardLogon')
    .option('--key-alg <alg>', `the new key: ${KEY_ALGORITHMS.join(', ')}`, 'rsa:2048')
    .option('--out-key <file>', "where to write the target's new private key (default: <user>.key.pem; never overwritten)")
    .option('--out <file>', 'write the issued certificate (PEM) here instead of standard output')
    .option('--ca-cert <file...>', "CA certificate(s) the server's TLS certificate must chain to (Tessera's certs/root.cer)")
    .action(async (o) => {
      const keyAlg = o.keyAlg as KeyAlgorithm;
      if (!KEY_ALGORITHMS.includes(keyAlg)) throw new TesseraError('INPUT_INVALID', `--key-alg ${o.keyAlg}: one of ${KEY_ALGORITHMS.join(', ')}`);
      const target = String(o.for).trim();
      if (!target || target.length > 256 || /[\x00-\x1f]/.test(target)) throw new TesseraError('INPUT_INVALID', '--for: DOMAIN\\user or a UPN');
      const agentCert = loadCertificate(await readInputFile(o.agentCert), o.agentCert);
      const agentKey = loadKey(await readInputFile(o.agentKey), o.agentKey);
      const certSpki = readSignerCertificate(agentCert).spki;
      if (!Buffer.from(createPublicKey(agentKey).export({ type: 'spki', format: 'der' })).equals(certSpki)) {
        throw new TesseraError('INPUT_INVALID', `--agent-key ${o.agentKey} does not belong to --agent-cert ${o.agentCert}`);
      }
      const caCerts = await Promise.all(((o.caCert as string[] | undefined) ?? []).map((f) => readInputFile(f)));
      const password = await ctx.password({ fromStdin: !!o.passwordStdin, prompt: `Password for ${o.user}: ` });
      const client = new CaClient(o.server, o.user, password, caCerts);

      // The target's key, its PKCS#10 (empty subject: the CA names it from the directory) and the CMC.
      const key = generate(keyAlg);
      const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
      const own = signingFor(key);
      const csr = await buildCsr({ spki, keyKind: own.keyKind, hash: own.hash, sign: own.sign, template: o.template });
      const agent = signingFor(agentKey);
      const cmc = await buildCmcRequest({
        csr,
        spki,
        keyKind: own.keyKind,
        hash: own.hash,
        sign: own.sign,
        regInfo: requesterNameRegInfo(target),
        agent: { certificate: agentCert, keyKind: agent.keyKind, hash: agent.hash, sign: agent.sign },
      });

      // The key is on disk before the request leaves, so an issued certificate never lacks it.
      const keyFile: string = o.outKey ?? `${accountOf(target)}.key.pem`;
      await writeKeyFile(keyFile, key.export({ type: 'pkcs8', format: 'pem' }) as string);
      let r: EnrollResponse;
      try {
        r = await client.submit({ csr: toPem(cmc, 'CERTIFICATE REQUEST'), template: o.template });
      } catch (e) {
        await unlink(keyFile).catch(() => {});
        throw e;
      }
      if (r.disposition !== 'issued' && r.disposition !== 'pending') {
        await unlink(keyFile).catch(() => {});
        throw new TesseraError('INTERNAL', `the server answered ${r.disposition}: ${r.message}`);
      }
      if (r.certificate && o.out) await writeOutputFile(o.out, r.certificate);
      ctx.out.result(
        { requestId: r.requestId, disposition: r.disposition, message: r.message, serial: r.serial ?? null, for: target, template: o.template, keyFile, certificateFile: o.out ?? null, certificate: r.certificate ?? null },
        () => {
          ctx.out.line(`Request ${r.requestId} for ${target}: ${r.disposition} — ${r.message}`);
          ctx.out.line(`Private key: ${keyFile}`);
          if (r.certificate) {
            if (o.out) ctx.out.line(`Certificate ${r.serial ?? ''}: ${o.out}`);
            else ctx.out.line(r.certificate.trimEnd());
          } else {
            ctx.out.line(`A certificate manager must approve request ${r.requestId}; the key stays in ${keyFile}.`);
          }
        },
      );
    });
}
