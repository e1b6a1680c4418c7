/**
 * `tessera enroll-on-behalf`: an enrollment agent enrolls another user (the seed's second
 * method; AD CS "Enroll On Behalf Of" with certreq, or the Smart Card Enrollment Station).
 * The target's key is generated in a key file, or with `--card` on the target's smart card
 * (as `tessera enroll` does); the PKCS#10 is wrapped in a CMC full PKI request that the new
 * key signs (proof of possession) and the agent countersigns, with
 * `RequesterName=DOMAIN%5Cuser&` in id-cmc-regInfo (research/certsrv.md §3.2), and
 * submitted to the REST API over HTTPS as the agent.
 *
 * The agent's key is a file (`--agent-key` with `--agent-cert`) or sits on the agent's
 * own card (`--agent-card`, issue #6): then the agent certificate is read from the card
 * (the certificate object next to the key, same CKA_ID) unless `--agent-cert` names it,
 * and the co-signature is made on the card after the agent's PIN — a wrong PIN stops
 * before anything reaches the CA (card/enroll/cardAgentSigner.ts).
 *
 * Secrets come one per line on standard input, in this order: the agent's password
 * (`--password-stdin`), the agent card's PIN (`--agent-pin-stdin`), the target card's
 * PIN (`--pin-stdin`); or from prompts.
 *
 * The CA builds subject, SAN and SID from the target's directory record; the agent's
 * restrictions decide whether the agent may enroll that user for that template.
 */
import type { Command } from 'commander';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { unlink, writeFile } from 'node:fs/promises';
import { findCard } from '../../../card/Card.js';
import { describeCard } from '../../../card/CardError.js';
import type { CardHash, CardKeySpec } from '../../../card/cardKeys.js';
import { CaClient, type EnrollResponse } from '../../../card/enroll/CaClient.js';
import { findCardByLabelOrSerial, openCardAgentSigner, type CardAgentSigner } from '../../../card/enroll/cardAgentSigner.js';
import { enrollOnCard } from '../../../card/enroll/enrollOnCard.js';
import { MODULE_ENV, type Pkcs11Module } from '../../../card/pkcs11/Pkcs11Module.js';
import { SecretInput } from '../../../card/SecretInput.js';
import { TesseraError } from '../../../errors/TesseraError.js';
import { buildCsr, type RequestHash } from '../../../x509/buildCsr.js';
import { buildCmcRequest, requesterNameRegInfo, type CmcAgentSigner } from '../../../x509/cmc/buildCmcRequest.js';
import { readSignerCertificate } from '../../../x509/cmc/signerCertificate.js';
import { pemBlocks, toPem } from '../../../x509/pem.js';
import type { CliContext } from '../CliContext.js';
import { readInputFile, writeOutputFile } from '../readInputFile.js';
import { selectorOf, withModule } from './card.js';

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

/** The same choice for a key generated on the target's card. */
function cardKeyOf(alg: KeyAlgorithm): { key: CardKeySpec; hash: CardHash } {
  if (alg.startsWith('rsa:')) return { key: { kind: 'rsa', bits: Number(alg.slice(4)) }, hash: 'sha256' };
  return { key: { kind: 'ec', curve: alg as 'P-256' | 'P-384' }, hash: alg === 'P-384' ? 'sha384' : 'sha256' };
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
    .description("as an enrollment agent, request a certificate for another user: a CMC request co-signed with the agent's key, from a key file or on the agent's own card (standard input: password, agent card PIN, target card PIN)")
    .requiredOption('--server <url>', 'the Tessera site, e.g. https://ca.example.com:8443')
    .requiredOption('--user <name>', "the agent's user name at the CA")
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option('--agent-cert <file>', "the agent's Enrollment Agent certificate (PEM or DER); with --agent-card, read from the card unless given")
    .option('--agent-key <file>', "the agent certificate's private key, a file (PKCS #8 PEM or DER); or use --agent-card")
    .option('--agent-card <label|serial>', "the agent's own smart card, which holds the agent key (and certificate); the co-signature is made on it")
    .option('--agent-pin-stdin', "with --agent-card: read the agent card's PIN from the next line of standard input")
    .option('--module <path>', `PKCS#11 module for the cards: a path, "softhsm2" or "opensc" (default: $${MODULE_ENV} or SoftHSM2)`)
    .option('--card <label>', "the target user's card: generate the new key on it and install the certificate there (instead of a key file)")
    .option('--card-serial <serial>', "the target user's card, by serial number (when labels repeat)")
    .option('--pin-stdin', "with --card: read the target card's PIN from the next line of standard input")
    .option('--friendly-name <name>', 'with --card: the certificate label on the card (default: "<template> Certificate")')
    .requiredOption('--for <DOMAIN\\user>', 'the user to enroll (RequesterName): DOMAIN\\user or a UPN')
    .requiredOption('--template <name>', 'certificate template, e.g. SmartcardLogon')
    .option('--key-alg <alg>', `the new key: ${KEY_ALGORITHMS.join(', ')}`, 'rsa:2048')
    .option('--out-key <file>', "where to write the target's new private key (default: <user>.key.pem; never overwritten; not with --card)")
    .option('--out <file>', 'write the issued certificate (PEM) here instead of standard output')
    .option('--ca-cert <file...>', "CA certificate(s) the server's TLS certificate must chain to (Tessera's certs/root.cer)")
    .action(async (o) => {
      const keyAlg = o.keyAlg as KeyAlgorithm;
      if (!KEY_ALGORITHMS.includes(keyAlg)) throw new TesseraError('INPUT_INVALID', `--key-alg ${o.keyAlg}: one of ${KEY_ALGORITHMS.join(', ')}`);
      const target = String(o.for).trim();
      if (!target || target.length > 256 || /[\x00-\x1f]/.test(target)) throw new TesseraError('INPUT_INVALID', '--for: DOMAIN\\user or a UPN');
      const onCard = o.card !== undefined || o.cardSerial !== undefined;
      if (o.agentCard !== undefined && o.agentKey !== undefined) throw new TesseraError('INPUT_INVALID', '--agent-key and --agent-card: the agent key is either a file or on a card, not both');
      if (o.agentCard === undefined && o.agentKey === undefined) throw new TesseraError('INPUT_INVALID', "the agent's key: --agent-card LABEL (on the agent's card) or --agent-key FILE with --agent-cert FILE");
      if (o.agentKey !== undefined && o.agentCert === undefined) throw new TesseraError('INPUT_INVALID', '--agent-key needs --agent-cert (the certificate of that key)');
      if (o.agentPinStdin && o.agentCard === undefined) throw new TesseraError('INPUT_INVALID', '--agent-pin-stdin goes with --agent-card');
      if (onCard && o.outKey !== undefined) throw new TesseraError('INPUT_INVALID', '--out-key and --card: with --card the new key is generated on the card, there is no key file');
      if (!onCard && (o.pinStdin || o.friendlyName !== undefined)) throw new TesseraError('INPUT_INVALID', '--pin-stdin and --friendly-name go with --card');

      // Every file is read and checked before a secret is asked or a card touched.
      const agentCert = o.agentCert !== undefined ? loadCertificate(await readInputFile(o.agentCert), o.agentCert) : undefined;
      let fileAgent: CmcAgentSigner | undefined;
      if (o.agentKey !== undefined) {
        const agentKey = loadKey(await readInputFile(o.agentKey), o.agentKey);
        if (!Buffer.from(createPublicKey(agentKey).export({ type: 'spki', format: 'der' })).equals(readSignerCertificate(agentCert!).spki)) {
          throw new TesseraError('INPUT_INVALID', `--agent-key ${o.agentKey} does not belong to --agent-cert ${o.agentCert}`);
        }
        fileAgent = { certificate: agentCert!, ...signingFor(agentKey) };
      }
      const caCerts = await Promise.all(((o.caCert as string[] | undefined) ?? []).map((f) => readInputFile(f)));
      const secrets = new SecretInput(ctx);
      try {
        const password = await secrets.get(`password for ${o.user}`, !!o.passwordStdin);
        const client = new CaClient(o.server, o.user, password, caCerts);
        const regInfo = requesterNameRegInfo(target);

        const run = async (module: Pkcs11Module | undefined): Promise<OnBehalfResult> => {
          // Both cards are found before any PIN is asked ("insert the smart card" first).
          if (module && o.agentCard !== undefined) {
            const agentCard = findCardByLabelOrSerial(module, o.agentCard);
            if (onCard && findCard(module, selectorOf(o)).serial === agentCard.serial) {
              throw new TesseraError('INPUT_INVALID', `--card and --agent-card name the same card ${describeCard(agentCard)}: the new key belongs on the target user's card`);
            }
          } else if (module && onCard) findCard(module, selectorOf(o));
          let cardAgent: CardAgentSigner | undefined;
          if (module && o.agentCard !== undefined) {
            cardAgent = await openCardAgentSigner({ module, card: o.agentCard, certificate: agentCert, pin: () => secrets.get(`PIN for the agent card "${o.agentCard}"`, !!o.agentPinStdin) });
          }
          try {
            const agent: CmcAgentSigner = cardAgent ?? fileAgent!;
            const agentInfo = agentReport(agent, cardAgent, o.agentCert);
            if (module && onCard) {
              const { key, hash } = cardKeyOf(keyAlg);
              const friendlyName: string = o.friendlyName ?? `${o.template} Certificate`;
              const r = await enrollOnCard({
                module,
                card: selectorOf(o),
                pin: () => secrets.get(`PIN for card "${o.card ?? o.cardSerial ?? ''}"`, !!o.pinStdin),
                client,
                template: o.template,
                format: 'cmc',
                hash,
                key,
                friendlyName,
                regInfo,
                agent,
              });
              return {
                requestId: r.requestId,
                disposition: r.disposition,
                message: r.message,
                serial: r.serial ?? null,
                certificate: r.certificate?.pem ?? null,
                card: r.card,
                keyId: r.keyId,
                installed: r.certificate ? { label: r.certificate.label, id: r.certificate.id } : null,
                keyFile: null,
                agent: agentInfo,
              };
            }
            return await withKeyFile(client, o, target, keyAlg, regInfo, agent, agentInfo);
          } finally {
            cardAgent?.close();
          }
        };
        const r = o.agentCard !== undefined || onCard ? await withModule(o.module, run) : await run(undefined);
        if (r.certificate && o.out) await writeOutputFile(o.out, r.certificate);
        report(ctx, r, target, o.template, o.out ?? null, o.user);
      } finally {
        secrets.close();
      }
    });
}

interface AgentReport {
  /** Where the agent key is: a file, or the agent's card. */
  readonly key: 'file' | 'card';
  readonly card: { readonly label: string; readonly serial: string } | null;
  /** Where the agent certificate came from: the --agent-cert file or the card. */
  readonly certificate: 'file' | 'card';
  readonly certificateSerial: string;
}

function agentReport(agent: CmcAgentSigner, onCard: CardAgentSigner | undefined, certFile: string | undefined): AgentReport {
  return {
    key: onCard ? 'card' : 'file',
    card: onCard ? onCard.card : null,
    certificate: onCard ? onCard.certificateSource : certFile !== undefined ? 'file' : 'card',
    certificateSerial: onCard?.serial ?? readSignerCertificate(Buffer.from(agent.certificate)).serial,
  };
}

interface OnBehalfResult {
  readonly requestId: number;
  readonly disposition: EnrollResponse['disposition'];
  readonly message: string;
  readonly serial: string | null;
  readonly certificate: string | null;
  /** --card: the target's card, the key's CKA_ID and the installed certificate object. */
  readonly card?: { readonly label: string; readonly serial: string };
  readonly keyId?: string;
  readonly installed?: { readonly label: string; readonly id: string } | null;
  /** Without --card: the key file. */
  readonly keyFile: string | null;
  readonly agent: AgentReport;
}

/** The target's key in a file beside the command (the original flow). */
async function withKeyFile(client: CaClient, o: { outKey?: string; template: string }, target: string, keyAlg: KeyAlgorithm, regInfo: string, agent: CmcAgentSigner, agentInfo: AgentReport): Promise<OnBehalfResult> {
  // The target's key, its PKCS#10 (empty subject: the CA names it from the directory) and the CMC.
  const key = generate(keyAlg);
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const own = signingFor(key);
  const csr = await buildCsr({ spki, keyKind: own.keyKind, hash: own.hash, sign: own.sign, template: o.template });
  const cmc = await buildCmcRequest({ csr, spki, keyKind: own.keyKind, hash: own.hash, sign: own.sign, regInfo, agent });

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
  return { requestId: r.requestId, disposition: r.disposition, message: r.message, serial: r.serial ?? null, certificate: r.certificate ?? null, keyFile, agent: agentInfo };
}

function report(ctx: CliContext, r: OnBehalfResult, target: string, template: string, certificateFile: string | null, agentUser: string): void {
  ctx.out.result({ ...r, for: target, template, certificateFile }, () => {
    ctx.out.line(`Request ${r.requestId} for ${target}: ${r.disposition} — ${r.message}`);
    ctx.out.line(`Signed as enrollment agent with certificate ${r.agent.certificateSerial}${r.agent.card ? ` on card ${describeCard(r.agent.card)}` : ''}`);
    if (r.card) {
      if (r.installed) ctx.out.line(`Installed certificate ${r.serial ?? ''} on card ${describeCard(r.card)} as "${r.installed.label}" (CKA_ID ${r.installed.id})`);
      else if (r.disposition === 'pending') {
        ctx.out.line(`The key stays on card ${describeCard(r.card)}. Once a certificate manager approves, install the certificate with:`);
        ctx.out.line(`  tessera enroll --retrieve ${r.requestId} --server … --user ${agentUser} --card "${r.card.label}"`);
      }
      if (r.certificate && certificateFile) ctx.out.line(`Certificate ${r.serial ?? ''}: ${certificateFile}`);
      return;
    }
    ctx.out.line(`Private key: ${r.keyFile}`);
    if (r.certificate) {
      if (certificateFile) ctx.out.line(`Certificate ${r.serial ?? ''}: ${certificateFile}`);
      else ctx.out.line(r.certificate.trimEnd());
    } else {
      ctx.out.line(`A certificate manager must approve request ${r.requestId}; the key stays in ${r.keyFile}.`);
    }
  });
}
