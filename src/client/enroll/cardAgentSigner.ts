/**
 * The enrollment agent's key on the agent's own card, as the co-signer of a CMC
 * enroll-on-behalf request (`tessera enroll-on-behalf --agent-card`; docs/cards.md, the seed's
 * second method as AD CS's "Enroll On Behalf Of" does it with the agent's smart card).
 *
 *   1. find the card by label or serial (absent: "insert the smart card"), before any PIN;
 *   2. refuse a card whose PIN must change, then PIN login — the same handling, messages
 *      and codes as `tessera enroll` (CardSession.login): a wrong PIN stops here, before
 *      anything reaches the CA;
 *   3. pick the agent certificate: the one given (`--agent-cert`), paired with its key by
 *      public key; or the certificate object on the card that carries Certificate Request
 *      Agent (EKU or application policy) and has a private key with the same CKA_ID
 *      (installCertificate puts them side by side) — the newest currently valid one;
 *   4. sign on the card: the hash is computed here, CKM_RSA_PKCS / CKM_ECDSA on the card
 *      (CardSession.sign), so the key never leaves it.
 *
 * The session stays logged in until `close()`, so one PIN entry covers the one request.
 */
import type { RequestHash } from '../../x509/buildCsr.js';
import type { CmcAgentSigner } from '../../x509/cmc/buildCmcRequest.js';
import { readSignerCertificate, type SignerCertificate } from '../../x509/cmc/signerCertificate.js';
import { OID } from '../../x509/oids.js';
import { decodeSpki } from '../../x509/publicKey.js';
import pkcs11js from 'pkcs11js';
import { listCards, type CardInfo } from '../../card/Card.js';
import { CardError, describeCard, type CardRef } from '../../card/CardError.js';
import { CardSession } from '../../card/CardSession.js';
import { REQUEST_HASH, type CardHash } from '../../card/cardKeys.js';
import type { Pkcs11Module } from '../../card/pkcs11/Pkcs11Module.js';

const P = pkcs11js;

export interface CardAgentSignerInput {
  readonly module: Pkcs11Module;
  /** The agent's card: its label, or its serial number. */
  readonly card: string;
  /** Asked only once the card is found. */
  readonly pin: () => Promise<string>;
  /** The agent certificate (DER) when given with --agent-cert; otherwise read from the card. */
  readonly certificate?: Buffer;
  readonly now?: Date;
}

export interface CardAgentSigner extends CmcAgentSigner {
  readonly certificate: Buffer;
  readonly card: CardRef;
  /** The agent certificate's serial (hex), subject and validity, for the report. */
  readonly serial: string;
  readonly notAfter: Date;
  /** CKA_ID of the key on the card, hex. */
  readonly keyId: string;
  /** 'card': found on the card; 'file': given with --agent-cert. */
  readonly certificateSource: 'card' | 'file';
  /** End the PIN session. */
  close(): void;
}

/**
 * One present card whose label is `name`, or else whose serial number is `name`
 * (case-insensitive). Two cards with that label: CARD_AMBIGUOUS, naming their serials.
 */
export function findCardByLabelOrSerial(mod: Pkcs11Module, name: string, option = '--agent-card'): CardInfo {
  const cards = listCards(mod);
  const byLabel = cards.filter((c) => c.label === name);
  if (byLabel.length === 1) return byLabel[0];
  if (byLabel.length > 1) {
    throw new CardError(
      'CARD_AMBIGUOUS',
      { label: name, serial: '' },
      `${byLabel.length} cards are labelled "${name}": ${byLabel.map(describeCard).join(', ')}; ` +
        `give the serial number instead (${option} ${byLabel[0].serial})`,
    );
  }
  const bySerial = cards.filter((c) => c.serial.toLowerCase() === name.toLowerCase());
  if (bySerial.length === 1) return bySerial[0];
  const present = cards.length ? `; present: ${cards.map(describeCard).join(', ')}` : '; no card is present';
  throw new CardError(
    'CARD_NOT_FOUND',
    { label: name, serial: '' },
    `no smart card with the label or serial "${name}" in ${mod.info.description || mod.path}${present}`,
  );
}

/** RFC 5480 §4 / RFC 8017: SHA-256 for RSA and P-256, the curve's size for larger curves. */
export function hashForKey(spki: Uint8Array): CardHash {
  const k = decodeSpki(spki);
  if (k.kind === 'rsa') return 'sha256';
  return k.curve === 'P-384' ? 'sha384' : k.curve === 'P-521' ? 'sha512' : 'sha256';
}

export const isAgentCertificate = (c: SignerCertificate) =>
  c.ekus.includes(OID.certificateRequestAgent) ||
  c.ekus.includes(OID.anyExtendedKeyUsage) ||
  c.applicationPolicies.includes(OID.certificateRequestAgent);

export async function openCardAgentSigner(i: CardAgentSignerInput): Promise<CardAgentSigner> {
  const card = findCardByLabelOrSerial(i.module, i.card);
  const ref: CardRef = { label: card.label, serial: card.serial };
  // Parse a given certificate before the PIN is asked: a bad file costs no attempt.
  let given: SignerCertificate | undefined;
  if (i.certificate) given = readSignerCertificate(i.certificate);
  const s = CardSession.open(i.module, card);
  try {
    s.requireUsablePin();
    s.login(await i.pin());
    const chosen = given ? pairGiven(s, ref, given) : chooseOnCard(s, ref, i.now ?? new Date());
    const hash = hashForKey(chosen.cert.spki);
    const keyKind = decodeSpki(chosen.cert.spki).kind;
    return {
      certificate: chosen.cert.der,
      keyKind,
      hash: REQUEST_HASH[hash] as RequestHash,
      sign: (data: Uint8Array) => s.sign(chosen.privateKey, chosen.cert.spki, hash, data),
      card: ref,
      serial: chosen.cert.serial,
      notAfter: chosen.cert.notAfter,
      keyId: chosen.id.toString('hex'),
      certificateSource: given ? 'file' : 'card',
      close: () => s.close(),
    };
  } catch (e) {
    s.close();
    throw e;
  }
}

interface Chosen {
  readonly cert: SignerCertificate;
  readonly privateKey: Buffer;
  readonly id: Buffer;
}

function pairGiven(s: CardSession, card: CardRef, cert: SignerCertificate): Chosen {
  const key = s.findKeyFor(cert.spki, cert.keyId);
  if (!key)
    throw new CardError(
      'CARD_KEY_NOT_FOUND',
      card,
      `card ${describeCard(card)} holds no private key for the --agent-cert certificate (serial ${cert.serial})`,
    );
  return { cert, privateKey: key.privateKey, id: key.id };
}

function chooseOnCard(s: CardSession, card: CardRef, now: Date): Chosen {
  const agents: Chosen[] = [];
  let certificates = 0;
  for (const h of s.find([{ type: P.CKA_CLASS, value: P.CKO_CERTIFICATE }])) {
    const der = s.attr(h, P.CKA_VALUE);
    if (!der) continue;
    let cert: SignerCertificate;
    try {
      cert = readSignerCertificate(der);
    } catch {
      continue; // not an X.509 certificate we can read
    }
    certificates++;
    if (!isAgentCertificate(cert)) continue;
    // The key installed next to it: same CKA_ID (then checked by public key in findKeyFor).
    const key = s.findKeyFor(cert.spki, s.attr(h, P.CKA_ID));
    if (key) agents.push({ cert, privateKey: key.privateKey, id: key.id });
  }
  const valid = agents
    .filter((a) => a.cert.notBefore <= now && now < a.cert.notAfter)
    .sort((a, b) => b.cert.notBefore.getTime() - a.cert.notBefore.getTime());
  if (valid.length) return valid[0];
  const what = agents.length
    ? 'only enrollment agent certificates that are expired or not yet valid ' +
      `(${agents
        .map(
          (a) => `serial ${a.cert.serial}, valid ${a.cert.notBefore.toISOString()} to ${a.cert.notAfter.toISOString()}`,
        )
        .join('; ')})`
    : `no enrollment agent certificate (Certificate Request Agent, ${OID.certificateRequestAgent}) ` +
      `with its private key among its ${certificates} certificate(s)`;
  throw new CardError(
    'CARD_NO_AGENT_CERTIFICATE',
    card,
    `card ${describeCard(card)} holds ${what}; enroll one onto it with ` +
      `\`tessera enroll --template EnrollmentAgent --card "${card.label}"\`, ` +
      'or name the certificate with --agent-cert',
  );
}
