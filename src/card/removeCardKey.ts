/**
 * Removing a key pair from a card: the cleanup for an enrollment whose certificate was
 * never installed (the browser page closed before "Install this certificate", a request
 * denied after the key was made). A key that has a certificate on the card — same CKA_ID,
 * or the certificate's public key — is refused unless the certificate goes too, so a
 * working smart card logon certificate is never left without its key by accident.
 * Everything is checked before the first C_DestroyObject: a refusal changes nothing.
 */
import pkcs11js from 'pkcs11js';
import { readCertificate } from '../x509/certificate.js';
import { TesseraError } from '../errors/TesseraError.js';
import { CardError, describeCard } from './CardError.js';
import type { CardSession } from './CardSession.js';

const P = pkcs11js;

export interface RemovedKey {
  /** CKA_ID, hex. */
  readonly id: string;
  readonly privateKeys: number;
  readonly publicKeys: number;
  /** Labels of the certificates removed with the key (only with `withCertificate`). */
  readonly certificates: readonly string[];
}

/** A CKA_ID typed by a person: hex, colons and spaces allowed (as pkcs11-tool and p11tool print it). */
export function parseKeyId(text: string): Buffer {
  const hex = text.replace(/[\s:]/g, '').toLowerCase();
  if (!/^([0-9a-f]{2}){1,64}$/.test(hex))
    throw new TesseraError(
      'INPUT_INVALID',
      `--id ${text}: the key's CKA_ID in hex, as \`tessera card list --login\` shows it`,
    );
  return Buffer.from(hex, 'hex');
}

/**
 * Delete the private and public key objects with CKA_ID `id` (the session must be logged
 * in: private keys are private objects). CARD_KEY_NOT_FOUND when the card has no key with
 * that ID; CARD_KEY_HAS_CERTIFICATE when a certificate belongs to it and `withCertificate`
 * is not set.
 */
export function removeCardKey(s: CardSession, id: Buffer, o: { readonly withCertificate?: boolean } = {}): RemovedKey {
  const hex = id.toString('hex');
  const privateKeys = s.find([
    { type: P.CKA_CLASS, value: P.CKO_PRIVATE_KEY },
    { type: P.CKA_ID, value: id },
  ]);
  const publicKeys = s.find([
    { type: P.CKA_CLASS, value: P.CKO_PUBLIC_KEY },
    { type: P.CKA_ID, value: id },
  ]);
  if (!privateKeys.length && !publicKeys.length) {
    throw new CardError(
      'CARD_KEY_NOT_FOUND',
      s.card,
      `card ${describeCard(s.card)} holds no key with ID ${hex}; ` +
        `\`tessera card list --login --card "${s.card.label}"\` shows the keys`,
    );
  }
  const spkis = [...privateKeys, ...publicKeys].map((h) => s.spkiOf(h)).filter((k): k is Buffer => !!k);
  const certificates: { h: Buffer; label: string; subject: string }[] = [];
  for (const h of s.find([{ type: P.CKA_CLASS, value: P.CKO_CERTIFICATE }])) {
    const der = s.attr(h, P.CKA_VALUE);
    let spki: Buffer | undefined;
    let subject = '(unreadable certificate)';
    try {
      const c = readCertificate(der!, { unknownCritical: 'record' });
      spki = c.spki;
      subject = c.subjectText;
    } catch {
      /* matched by CKA_ID only */
    }
    const sameId = s.attr(h, P.CKA_ID)?.equals(id) ?? false;
    if (sameId || (spki && spkis.some((k) => k.equals(spki))))
      certificates.push({ h, label: s.attr(h, P.CKA_LABEL)?.toString('utf8') ?? '', subject });
  }
  if (certificates.length && !o.withCertificate) {
    const named = certificates.map((c) => `"${c.label}" (${c.subject})`).join(', ');
    throw new CardError(
      'CARD_KEY_HAS_CERTIFICATE',
      s.card,
      `the key with ID ${hex} on card ${describeCard(s.card)} has the certificate ${named}; ` +
        'nothing was removed. Add --with-certificate to remove the key and its certificate',
    );
  }
  for (const c of certificates) s.destroy(c.h);
  for (const h of privateKeys) s.destroy(h);
  for (const h of publicKeys) s.destroy(h);
  return {
    id: hex,
    privateKeys: privateKeys.length,
    publicKeys: publicKeys.length,
    certificates: certificates.map((c) => c.label),
  };
}
