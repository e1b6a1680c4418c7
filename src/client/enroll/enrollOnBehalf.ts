/**
 * Enroll on behalf of another user, at the enrollment agent's side (the seed's second
 * method; AD CS "Enroll On Behalf Of" with certreq, or the Smart Card Enrollment Station):
 * the target's new key is generated here — in a key file beside the command, or on the
 * target's smart card (enrollOnCard.ts) — and its PKCS#10 is wrapped in a CMC full PKI
 * request (RFC 5272 §3.2) that the new key signs (proof of possession) and the agent
 * countersigns, with the RequesterName in id-cmc-regInfo, then submitted over HTTPS as the
 * agent (CaClient.ts).
 *
 * The agent's key is a file (PKCS #8) or sits on the agent's own card (cardAgentSigner.ts):
 * then the co-signature is made on the card after the agent's PIN, and a wrong PIN stops
 * before anything reaches the CA. Both cards are found before any PIN is asked.
 *
 * `tessera enroll-on-behalf` (src/entry/cli/commands/enrollOnBehalf.ts) is the command
 * line around this module: options, files, secrets, output.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as cryptoSign,
  type KeyObject,
} from 'node:crypto';
import { unlink, writeFile } from 'node:fs/promises';
import { findCard, type CardSelector } from '../../card/Card.js';
import { describeCard } from '../../card/CardError.js';
import type { CardHash, CardKeySpec } from '../../card/cardKeys.js';
import type { Pkcs11Module } from '../../card/pkcs11/Pkcs11Module.js';
import { TesseraError } from '../../errors/TesseraError.js';
import { buildCsr, type RequestHash } from '../../x509/buildCsr.js';
import { buildCmcRequest, requesterNameRegInfo, type CmcAgentSigner } from '../../x509/cmc/buildCmcRequest.js';
import { readSignerCertificate } from '../../x509/cmc/signerCertificate.js';
import { pemBlocks, toPem } from '../../x509/pem.js';
import type { CaClient, EnrollResponse } from './CaClient.js';
import { findCardByLabelOrSerial, openCardAgentSigner, type CardAgentSigner } from './cardAgentSigner.js';
import { enrollOnCard } from './enrollOnCard.js';

export const KEY_ALGORITHMS = ['rsa:2048', 'rsa:3072', 'rsa:4096', 'P-256', 'P-384'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

interface Signing {
  readonly keyKind: 'rsa' | 'ec';
  readonly hash: RequestHash;
  readonly sign: (data: Uint8Array) => Promise<Uint8Array>;
}

/** Hash for a key: SHA-256 for RSA and P-256, the curve's size for larger curves (RFC 5480 §4). */
function signingFor(key: KeyObject): Signing {
  if (key.asymmetricKeyType === 'rsa')
    return { keyKind: 'rsa', hash: 'SHA-256', sign: async (d) => cryptoSign('sha256', d, key) };
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

/** The agent certificate file (`--agent-cert`, PEM or DER), checked before any secret is asked. */
export function loadAgentCertificate(data: Buffer, path: string): Buffer {
  const text = data.toString('latin1');
  const der = text.includes('-----BEGIN CERTIFICATE-----') ? pemBlocks(text, 'CERTIFICATE')[0] : data;
  if (!der) throw new TesseraError('INPUT_INVALID', `--agent-cert ${path}: no certificate`);
  try {
    readSignerCertificate(der);
  } catch (e) {
    throw new TesseraError(
      'INPUT_INVALID',
      `--agent-cert ${path}: not an X.509 certificate (${(e as TesseraError).detail ?? (e as Error).message})`,
    );
  }
  return der;
}

function loadKey(data: Buffer, path: string): KeyObject {
  if (data.toString('latin1').includes('ENCRYPTED'))
    throw new TesseraError(
      'INPUT_INVALID',
      `--agent-key ${path}: encrypted keys are not supported yet; use ` +
        'an unencrypted PKCS #8 PEM file with restricted permissions',
    );
  try {
    return createPrivateKey(
      data.toString('latin1').includes('-----BEGIN') ? data : { key: data, format: 'der', type: 'pkcs8' },
    );
  } catch (e) {
    throw new TesseraError('INPUT_INVALID', `--agent-key ${path}: not a private key (${(e as Error).message})`);
  }
}

/** The agent's key file (`--agent-key`) as the co-signer, refused unless it belongs to the agent certificate. */
export function fileAgentSigner(
  certificate: Buffer,
  certPath: string,
  keyData: Buffer,
  keyPath: string,
): CmcAgentSigner {
  const agentKey = loadKey(keyData, keyPath);
  const spki = Buffer.from(createPublicKey(agentKey).export({ type: 'spki', format: 'der' }));
  if (!spki.equals(readSignerCertificate(certificate).spki)) {
    throw new TesseraError('INPUT_INVALID', `--agent-key ${keyPath} does not belong to --agent-cert ${certPath}`);
  }
  return { certificate, ...signingFor(agentKey) };
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
    throw new TesseraError(
      'FILE_NOT_WRITABLE',
      `${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

export interface AgentReport {
  /** Where the agent key is: a file, or the agent's card. */
  readonly key: 'file' | 'card';
  readonly card: { readonly label: string; readonly serial: string } | null;
  /** Where the agent certificate came from: the --agent-cert file or the card. */
  readonly certificate: 'file' | 'card';
  readonly certificateSerial: string;
}

export interface OnBehalfResult {
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

export interface OnBehalfInput {
  readonly client: CaClient;
  /** The user to enroll (RequesterName): DOMAIN\user or a UPN. */
  readonly target: string;
  readonly template: string;
  readonly keyAlg: KeyAlgorithm;
  /** The agent's key: a key file's signer (fileAgentSigner), or the agent's card. */
  readonly agent:
    | { readonly file: CmcAgentSigner }
    | { readonly card: string; readonly certificate?: Buffer; readonly pin: () => Promise<string> };
  /** Where the agent certificate came from when the agent key is a file: true for --agent-cert. */
  readonly agentCertFromFile: boolean;
  /** The PKCS#11 module, needed for the agent's card and for the target's card. */
  readonly module?: Pkcs11Module;
  /** The target's card: the new key is generated on it and the certificate installed there. */
  readonly targetCard?: {
    readonly selector: CardSelector;
    readonly pin: () => Promise<string>;
    readonly friendlyName: string;
  };
  /** Without a target card: where the target's new private key goes (default: <user>.key.pem). */
  readonly outKey?: string;
}

export async function enrollOnBehalf(i: OnBehalfInput): Promise<OnBehalfResult> {
  const module = i.module;
  const agentCardName = 'card' in i.agent ? i.agent.card : undefined;
  if ((agentCardName !== undefined || i.targetCard) && !module) {
    throw new TesseraError('INPUT_INVALID', 'a smart card needs a PKCS#11 module');
  }
  const regInfo = requesterNameRegInfo(i.target);
  // Both cards are found before any PIN is asked ("insert the smart card" first).
  if (module && agentCardName !== undefined) {
    const agentCard = findCardByLabelOrSerial(module, agentCardName);
    if (i.targetCard && findCard(module, i.targetCard.selector).serial === agentCard.serial) {
      throw new TesseraError(
        'INPUT_INVALID',
        `--card and --agent-card name the same card ${describeCard(agentCard)}: ` +
          "the new key belongs on the target user's card",
      );
    }
  } else if (module && i.targetCard) findCard(module, i.targetCard.selector);
  let cardAgent: CardAgentSigner | undefined;
  if (module && 'card' in i.agent) {
    const { card, certificate, pin } = i.agent;
    cardAgent = await openCardAgentSigner({ module, card, certificate, pin });
  }
  try {
    const agent: CmcAgentSigner = cardAgent ?? (i.agent as { file: CmcAgentSigner }).file;
    const agentInfo = agentReport(agent, cardAgent, i.agentCertFromFile);
    if (module && i.targetCard) {
      const { key, hash } = cardKeyOf(i.keyAlg);
      const r = await enrollOnCard({
        module,
        card: i.targetCard.selector,
        pin: i.targetCard.pin,
        client: i.client,
        template: i.template,
        format: 'cmc',
        hash,
        key,
        friendlyName: i.targetCard.friendlyName,
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
    return await withKeyFile(i, regInfo, agent, agentInfo);
  } finally {
    cardAgent?.close();
  }
}

function agentReport(agent: CmcAgentSigner, onCard: CardAgentSigner | undefined, certFromFile: boolean): AgentReport {
  return {
    key: onCard ? 'card' : 'file',
    card: onCard ? onCard.card : null,
    certificate: onCard ? onCard.certificateSource : certFromFile ? 'file' : 'card',
    certificateSerial: onCard?.serial ?? readSignerCertificate(Buffer.from(agent.certificate)).serial,
  };
}

/** The target's key in a file beside the command (the original flow). */
async function withKeyFile(
  i: OnBehalfInput,
  regInfo: string,
  agent: CmcAgentSigner,
  agentInfo: AgentReport,
): Promise<OnBehalfResult> {
  // The target's key, its PKCS#10 (empty subject: the CA names it from the directory) and the CMC.
  const key = generate(i.keyAlg);
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const own = signingFor(key);
  const csr = await buildCsr({ spki, keyKind: own.keyKind, hash: own.hash, sign: own.sign, template: i.template });
  const cmc = await buildCmcRequest({
    csr,
    spki,
    keyKind: own.keyKind,
    hash: own.hash,
    sign: own.sign,
    regInfo,
    agent,
  });

  // The key is on disk before the request leaves, so an issued certificate never lacks it.
  const keyFile: string = i.outKey ?? `${accountOf(i.target)}.key.pem`;
  await writeKeyFile(keyFile, key.export({ type: 'pkcs8', format: 'pem' }) as string);
  let r: EnrollResponse;
  try {
    r = await i.client.submit({ csr: toPem(cmc, 'CERTIFICATE REQUEST'), template: i.template });
  } catch (e) {
    await unlink(keyFile).catch(() => {});
    throw e;
  }
  if (r.disposition !== 'issued' && r.disposition !== 'pending') {
    await unlink(keyFile).catch(() => {});
    throw new TesseraError('INTERNAL', `the server answered ${r.disposition}: ${r.message}`);
  }
  return {
    requestId: r.requestId,
    disposition: r.disposition,
    message: r.message,
    serial: r.serial ?? null,
    certificate: r.certificate ?? null,
    keyFile,
    agent: agentInfo,
  };
}
