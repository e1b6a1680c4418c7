/**
 * `tessera enroll` onto a card — the seed's steps 7–11 from the command line:
 *
 *   1. find the card (absent: "insert the smart card"), refuse a card whose PIN must change;
 *      ask the CA which key spec the template wants (Exchange / Signature), which also
 *      proves the password and the server's TLS certificate before the PIN is asked;
 *   2. PIN login (a wrong PIN fails here, before anything reaches the CA);
 *   3. generate the key pair ON the card (non-extractable, CKA_ID = future SKI);
 *   4. build the request and sign it on the card (PKCS#10, or CMC around it);
 *   5. submit over the REST API (password to the CA, never the PIN);
 *   6. issued: install the certificate next to its key (CKA_LABEL = friendly name);
 *      pending: keep the key, print the request ID for `tessera enroll --retrieve`;
 *      denied: delete the new key pair from the card.
 */
import { hostname, userInfo } from 'node:os';
import { isErrorCode } from '../../errors/registry.js';
import { TesseraError } from '../../errors/TesseraError.js';
import { buildCsr } from '../../x509/buildCsr.js';
import type { CmcAgentSigner } from '../../x509/cmc/buildCmcRequest.js';
import { toPem, pemBlocks } from '../../x509/pem.js';
import { findCard, type CardSelector } from '../../card/Card.js';
import { CardError, describeCard, type CardRef } from '../../card/CardError.js';
import { CardSession, type InstalledCertificate } from '../../card/CardSession.js';
import { REQUEST_HASH, type CardHash, type CardKeySpec } from '../../card/cardKeys.js';
import type { Pkcs11Module } from '../../card/pkcs11/Pkcs11Module.js';
import { buildCardCmc } from './cardCmc.js';
import { type CaClient, ServerRefusal, type EnrollResponse, type TemplateSummary } from './CaClient.js';

/** The provider name requests carry (13.2.2), listed by the smart card templates. */
export const CARD_PROVIDER = 'Tessera Card Agent (PKCS#11)';

export type RequestFormat = 'pkcs10' | 'cmc';

export interface EnrollTarget {
  readonly module: Pkcs11Module;
  readonly card: CardSelector;
  /** Asked only once the card is found. */
  readonly pin: () => Promise<string>;
}

export interface EnrollOnCardInput extends EnrollTarget {
  readonly client: CaClient;
  readonly template: string;
  readonly format: RequestFormat;
  readonly hash: CardHash;
  readonly key: CardKeySpec;
  readonly friendlyName: string;
  /** Key container name (CKA_LABEL of the key pair); automatic when absent. */
  readonly container?: string;
  readonly attributes?: Record<string, string>;
  /**
   * The template's key spec; asked from the CA (GET /api/v1/templates) when absent. A
   * Signature template (EnrollmentAgent) refuses a request that says AT_KEYEXCHANGE.
   */
  readonly keySpec?: TemplateSummary['keySpec'];
  /** Enroll on behalf (CMC only): id-cmc-regInfo with the RequesterName. */
  readonly regInfo?: string;
  /** Enroll on behalf (CMC only): the enrollment agent's co-signature. */
  readonly agent?: CmcAgentSigner;
}

export interface EnrollOnCardResult {
  readonly requestId: number;
  readonly disposition: EnrollResponse['disposition'];
  readonly message: string;
  readonly serial?: string;
  readonly card: CardRef;
  readonly keyId: string;
  readonly container: string;
  readonly certificate?: { readonly pem: string; readonly label: string; readonly id: string };
  /** Milliseconds, for the record (docs/cards.md). */
  readonly timings: {
    readonly keygen: number;
    readonly sign: number;
    readonly submit: number;
    readonly install?: number;
  };
}

/**
 * The template's key spec as the CA publishes it to this user. A template the user may
 * not enroll for is not listed: the request then says Exchange and the CA refuses it
 * for the real reason. A wrong password or an untrusted server stops here.
 */
export async function templateKeySpec(client: CaClient, template: string): Promise<TemplateSummary['keySpec']> {
  try {
    const found = (await client.templates()).find((t) => t.name.toLowerCase() === template.toLowerCase());
    return found?.keySpec ?? 'exchange';
  } catch (e) {
    if (e instanceof ServerRefusal && e.status !== 401) return 'exchange';
    throw e;
  }
}

export async function enrollOnCard(i: EnrollOnCardInput): Promise<EnrollOnCardResult> {
  if ((i.agent || i.regInfo !== undefined) && i.format !== 'cmc')
    throw new TesseraError('INPUT_INVALID', 'a request on behalf of another user is a CMC request (--format cmc)');
  const card = findCard(i.module, i.card);
  const s = CardSession.open(i.module, card);
  try {
    // The card's own state first (no network), then the CA (a wrong password or an untrusted
    // server fails here), and only then the PIN.
    s.requireUsablePin();
    const keySpec = i.keySpec ?? (await templateKeySpec(i.client, i.template));
    s.login(await i.pin());
    const container = i.container ?? `te-${i.template}-${crypto.randomUUID()}`;
    let t0 = performance.now();
    const key = await s.generateKeyPair(i.key, container);
    const keygen = performance.now() - t0;
    t0 = performance.now();
    let request: Uint8Array;
    try {
      const sign = (data: Uint8Array) => s.sign(key.privateKey, key.spki, i.hash, data);
      const csr = await buildCsr({
        spki: key.spki,
        keyKind: i.key.kind,
        hash: REQUEST_HASH[i.hash],
        sign,
        template: i.template,
        // wincrypt.h: AT_KEYEXCHANGE = 1, AT_SIGNATURE = 2 (policy/verifyRequest checkKeySpecAndProvider).
        csp: { keySpec: keySpec === 'signature' ? 2 : 1, provider: CARD_PROVIDER },
        clientInfo: { clientId: 1, machine: hostname(), user: userInfo().username, process: 'tessera' },
      });
      request =
        i.format === 'cmc'
          ? await buildCardCmc({
              csr,
              spki: key.spki,
              keyKind: i.key.kind,
              hash: i.hash,
              sign,
              regInfo: i.regInfo,
              agent: i.agent,
            })
          : csr;
    } catch (e) {
      s.destroyById(key.id);
      throw e;
    }
    const signMs = performance.now() - t0;
    t0 = performance.now();
    let r: EnrollResponse;
    try {
      r = await i.client.submit({
        csr: toPem(request, i.format === 'cmc' ? 'CMS' : 'CERTIFICATE REQUEST'),
        template: i.template,
        ...(i.attributes ? { attributes: i.attributes } : {}),
      });
    } catch (e) {
      // A definite refusal: the key has no future. Network trouble: the request may exist, keep the key.
      if (e instanceof ServerRefusal && s.present()) s.destroyById(key.id);
      throw e;
    }
    const submit = performance.now() - t0;
    const base = resultBase(r, card, key.id.toString('hex'), container);
    if (r.disposition === 'pending') return { ...base, timings: { keygen, sign: signMs, submit } };
    if (r.disposition !== 'issued' || !r.certificate) {
      if (s.present()) s.destroyById(key.id);
      throw notIssued(r, base.card);
    }
    t0 = performance.now();
    let installed: InstalledCertificate;
    try {
      installed = s.installCertificate(pemBlocks(r.certificate, 'CERTIFICATE')[0], i.friendlyName);
    } catch (e) {
      // Issued but not on the card (removed, full): say how to finish, with the request ID.
      const err = e instanceof TesseraError ? e : new TesseraError('CARD_ERROR', String(e));
      throw new CardError(
        err.code,
        base.card,
        `${err.detail ?? err.message}; the certificate was issued (request ${r.requestId}, serial ` +
          `${r.serial ?? '?'}): install it with \`tessera enroll --retrieve ${r.requestId}\` once the card is back`,
        null,
        { cause: e },
      );
    }
    const install = performance.now() - t0;
    return {
      ...base,
      certificate: { pem: r.certificate, label: installed.label, id: installed.id },
      timings: { keygen, sign: signMs, submit, install },
    };
  } finally {
    s.close();
  }
}

export interface RetrieveOnCardInput extends EnrollTarget {
  readonly client: CaClient;
  readonly requestId: number;
  readonly friendlyName: string;
}

/** `tessera enroll --retrieve ID`: a pending request, once issued, installed onto the card that holds its key. */
export async function retrieveOnCard(i: RetrieveOnCardInput): Promise<EnrollOnCardResult> {
  const r = await i.client.get(i.requestId);
  const card = findCard(i.module, i.card);
  const base = { ...resultBase(r, card, '', ''), timings: { keygen: 0, sign: 0, submit: 0 } };
  if (r.disposition === 'pending') return base;
  if (r.disposition !== 'issued' || !r.certificate) throw notIssued(r, base.card);
  const s = CardSession.open(i.module, card);
  try {
    s.login(await i.pin());
    const t0 = performance.now();
    const installed = s.installCertificate(pemBlocks(r.certificate, 'CERTIFICATE')[0], i.friendlyName);
    return {
      ...base,
      keyId: installed.id,
      certificate: { pem: r.certificate, label: installed.label, id: installed.id },
      timings: { ...base.timings, install: performance.now() - t0 },
    };
  } finally {
    s.close();
  }
}

/** A request that ended other than issued: the server's code when it sent one. */
/** The fields every EnrollOnCardResult starts with: the server's answer and where the key is. */
function resultBase(r: EnrollResponse, card: CardRef, keyId: string, container: string) {
  return {
    requestId: r.requestId,
    disposition: r.disposition,
    message: r.message,
    serial: r.serial,
    card: { label: card.label, serial: card.serial },
    keyId,
    container,
  };
}

function notIssued(r: EnrollResponse, card: CardRef): CardError {
  const code = r.code && isErrorCode(r.code) ? r.code : r.disposition === 'denied' ? 'DENIED_BY_MANAGER' : 'INTERNAL';
  return new CardError(code, card, `request ${r.requestId} is ${r.disposition}: ${r.message}`);
}

export { describeCard };
