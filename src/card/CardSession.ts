/**
 * A PKCS#11 session on one card: PIN login with the card's own retry information, key
 * generation on the card, signing with a card key, installing a certificate next to its
 * key, listing objects, PIN change and unblock. Private keys are generated with
 * CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE and CKA_EXTRACTABLE=false; nothing here can read
 * private key material, because no such operation exists in this class.
 */
import { createHash, randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { keyIdOf, readCertificate } from '../x509/certificate.js';
import type { TesseraError } from '../errors/TesseraError.js';
import { p1363ToDer } from '../x509/buildCsr.js';
import { oid } from '../x509/der.js';
import { CURVE_OIDS, decodeSpki, type CurveName } from '../x509/publicKey.js';
import { cardInfo, type CardInfo } from './Card.js';
import { CardError, cardErrorFrom, ckrName, describeCard, type PinTries } from './CardError.js';
import {
  cardKeyId,
  ecdsaInput,
  ecParams,
  ecSpki,
  rsaPkcs1Input,
  rsaSpki,
  type CardHash,
  type CardKeySpec,
} from './cardKeys.js';
import type { Pkcs11Module } from './pkcs11/Pkcs11Module.js';

const P = pkcs11js;
type Handle = Buffer;

/** The public data object that marks "change the PIN before use" (tessera card create --force-pin-change). */
export const PIN_CHANGE_MARKER = 'tessera-pin-change-required';
const APPLICATION = 'Tessera';

export interface GeneratedKey {
  readonly privateKey: Handle;
  readonly publicKey: Handle;
  /** SubjectPublicKeyInfo DER. */
  readonly spki: Buffer;
  /** CKA_ID of both halves. */
  readonly id: Buffer;
  readonly label: string;
  readonly spec: CardKeySpec;
}

export interface CardObject {
  readonly class: 'privateKey' | 'publicKey' | 'certificate' | 'data';
  readonly label: string;
  /** CKA_ID, hex. */
  readonly id: string;
  readonly key?: string;
  readonly subject?: string;
  readonly notAfter?: Date;
  /** Keys: SHA-256 of the public key (SubjectPublicKeyInfo DER), when the card exposes it. */
  readonly spkiSha256?: string;
  /** Certificates: SHA-256 of the DER (the fingerprint). */
  readonly sha256?: string;
  /** Keys: no certificate on the card has this CKA_ID or this public key (an enrollment that was never installed). */
  readonly orphan?: boolean;
  /** Private keys: CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_NEVER_EXTRACTABLE, CKA_LOCAL. */
  readonly access?: { sensitive: boolean; extractable: boolean; neverExtractable: boolean; local: boolean };
}

export interface InstalledCertificate {
  readonly id: string;
  readonly label: string;
  readonly alreadyPresent: boolean;
}

export class CardSession {
  #closed = false;
  #loggedIn = false;

  private constructor(
    readonly mod: Pkcs11Module,
    readonly card: CardInfo,
    readonly handle: Handle,
  ) {}

  static open(mod: Pkcs11Module, card: CardInfo, opts: { rw?: boolean } = {}): CardSession {
    let h: Handle;
    try {
      h = mod.p.C_OpenSession(card.slot, P.CKF_SERIAL_SESSION | (opts.rw === false ? 0 : P.CKF_RW_SESSION));
    } catch (e) {
      throw cardErrorFrom(e, card, 'opening a session');
    }
    mod.sessionOpened(card.serial);
    return new CardSession(mod, card, h);
  }

  get p() {
    return this.mod.p;
  }

  /** A failure during `what`: when the card is gone, CARD_REMOVED; otherwise the mapped CKR_. */
  fail(e: unknown, what: string): TesseraError {
    const mapped = cardErrorFrom(e, this.card, what);
    if (
      mapped.code === 'CARD_REMOVED' ||
      mapped.code === 'CARD_PIN_INCORRECT' ||
      mapped.code === 'CARD_PIN_LOCKED' ||
      mapped.code === 'CARD_PIN_INVALID'
    )
      return mapped;
    if (!this.present())
      return new CardError(
        'CARD_REMOVED',
        this.card,
        `card ${describeCard(this.card)} was removed during ${what} (${ckrName(e) ?? (e as Error).message})`,
        null,
        { cause: e },
      );
    return mapped;
  }

  /** Is this card still in its slot? (SoftHSM2 answers CKR_GENERAL_ERROR once its token directory is gone.) */
  present(): boolean {
    try {
      const now = cardInfo(this.mod, this.card.slot);
      return now.serial === this.card.serial;
    } catch {
      return false;
    }
  }

  #flagsNow(): CardInfo | undefined {
    try {
      return cardInfo(this.mod, this.card.slot);
    } catch {
      return undefined;
    }
  }

  /** Refuse cards whose PIN must be changed first (the token's flag or Tessera's marker). */
  requireUsablePin(): void {
    const info = this.#flagsNow() ?? this.card;
    if (info.pin.toBeChanged || this.#findMarker().length) {
      throw new CardError(
        'CARD_PIN_CHANGE_REQUIRED',
        this.card,
        `card ${describeCard(this.card)} must get a new PIN first: tessera card change-pin --card "${this.card.label}"`,
      );
    }
  }

  /** C_Login as the user. A wrong PIN reports what the card says about the remaining attempts. */
  login(pin: string): void {
    this.#login(P.CKU_USER, pin, 'PIN');
  }

  /** C_Login as the security officer with the card administrator key (SO PIN). */
  loginSo(soPin: string): void {
    this.#login(P.CKU_SO, soPin, 'administrator key (SO PIN)');
  }

  #login(userType: number, pin: string, what: string): void {
    const before = this.#flagsNow();
    if (userType === P.CKU_USER && before?.pin.locked) throw lockedError(this.card);
    try {
      this.p.C_Login(this.handle, userType, pin);
      this.#loggedIn = true;
    } catch (e) {
      const ckr = ckrName(e);
      if (ckr === 'CKR_USER_ALREADY_LOGGED_IN') {
        this.#loggedIn = true;
        return;
      }
      if (ckr === 'CKR_PIN_INCORRECT' || ckr === 'CKR_PIN_LEN_RANGE' || ckr === 'CKR_PIN_INVALID') {
        const after = this.#flagsNow();
        if (userType === P.CKU_USER && after?.pin.locked) throw lockedError(this.card);
        // SoftHSM2 raises CKF_USER_PIN_COUNT_LOW after any failure but never locks: not a count to report.
        const tries: PinTries =
          userType === P.CKU_SO || this.mod.isSoftHsm
            ? null
            : after?.pin.finalTry
              ? 'final'
              : after?.pin.countLow
                ? 'low'
                : null;
        throw new CardError(
          'CARD_PIN_INCORRECT',
          this.card,
          `wrong ${what} for card ${describeCard(this.card)}${triesText(tries, this.mod.isSoftHsm)}`,
          tries,
        );
      }
      if (ckr === 'CKR_PIN_LOCKED') {
        if (userType === P.CKU_SO)
          throw new CardError(
            'CARD_PIN_LOCKED',
            this.card,
            `the administrator key (SO PIN) of card ${describeCard(this.card)} ` +
              'is locked; the card must be re-initialized',
          );
        throw lockedError(this.card);
      }
      throw this.fail(e, 'login');
    }
  }

  /**
   * C_Logout — unless another session of this process is open on the same token: login is
   * per application, and logging out here would log that one out too. The login then ends
   * when the last session on the token closes (PKCS#11 v2.40 §5.6 C_CloseSession).
   */
  logout(): void {
    if (!this.#loggedIn) return;
    if (this.mod.sessionsOn(this.card.serial) > 1) {
      this.#loggedIn = false;
      return;
    }
    try {
      this.p.C_Logout(this.handle);
    } catch {
      /* a removed card has no login to end */
    }
    this.#loggedIn = false;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.logout();
    try {
      this.p.C_CloseSession(this.handle);
    } catch {
      /* already gone */
    }
    this.mod.sessionClosed(this.card.serial);
  }

  // --- objects ---------------------------------------------------------------------------

  find(template: pkcs11js.Template, max = 256): Handle[] {
    try {
      this.p.C_FindObjectsInit(this.handle, template);
      try {
        return this.p.C_FindObjects(this.handle, max);
      } finally {
        this.p.C_FindObjectsFinal(this.handle);
      }
    } catch (e) {
      throw this.fail(e, 'searching the card');
    }
  }

  attr(h: Handle, type: number): Buffer | undefined {
    try {
      const v = this.p.C_GetAttributeValue(this.handle, h, [{ type }])[0].value;
      return Buffer.isBuffer(v) ? v : undefined;
    } catch (e) {
      const ckr = ckrName(e);
      if (ckr === 'CKR_ATTRIBUTE_TYPE_INVALID' || ckr === 'CKR_ATTRIBUTE_SENSITIVE') return undefined;
      throw this.fail(e, 'reading an object');
    }
  }

  #bool(h: Handle, type: number): boolean {
    const v = this.attr(h, type);
    return !!v && v.length > 0 && v[0] !== 0;
  }

  #label(h: Handle): string {
    return this.attr(h, P.CKA_LABEL)?.toString('utf8') ?? '';
  }

  /** The SPKI of a public key object (or a private key that exposes its public parts). */
  spkiOf(h: Handle): Buffer | undefined {
    const type = this.attr(h, P.CKA_KEY_TYPE);
    const kt = type ? type.readUIntLE(0, Math.min(type.length, 6)) : -1;
    if (kt === P.CKK_RSA) {
      const n = this.attr(h, P.CKA_MODULUS);
      const e = this.attr(h, P.CKA_PUBLIC_EXPONENT);
      return n && e && n.length ? rsaSpki(n, e) : undefined;
    }
    if (kt === P.CKK_EC) {
      const params = this.attr(h, P.CKA_EC_PARAMS);
      const point = this.attr(h, P.CKA_EC_POINT);
      return params && point ? ecSpki(params, point) : undefined;
    }
    return undefined;
  }

  /** "RSA 2048" / "EC P-256" from the public parts, or from the key type and size of a private key. */
  #keyDescription(h: Handle): string | undefined {
    const spki = this.spkiOf(h);
    if (spki) return keyText(spki);
    const params = this.attr(h, P.CKA_EC_PARAMS);
    if (params) {
      const curve = Object.entries(CURVE_OIDS).find(([, o]) => oid(o).equals(params))?.[0];
      return `EC ${curve ?? 'unknown curve'}`;
    }
    const n = this.attr(h, P.CKA_MODULUS);
    return n ? `RSA ${n.length * 8}` : undefined;
  }

  /** Public keys, certificates and data objects; private keys too once logged in. */
  objects(): CardObject[] {
    const out: CardObject[] = [];
    const id = (h: Handle) => this.attr(h, P.CKA_ID)?.toString('hex') ?? '';
    const sha256 = (b: Buffer | undefined) => (b ? createHash('sha256').update(b).digest('hex') : undefined);
    const certificates: CardObject[] = [];
    // A key and its certificate pair up by CKA_ID or, on cards that keep their own IDs, by public key.
    const certified = { ids: new Set<string>(), keys: new Set<string>() };
    for (const h of this.find([{ type: P.CKA_CLASS, value: P.CKO_CERTIFICATE }])) {
      const der = this.attr(h, P.CKA_VALUE);
      let subject: string | undefined;
      let notAfter: Date | undefined;
      let key: string | undefined;
      try {
        const c = readCertificate(der!, { unknownCritical: 'record' });
        subject = c.subjectText;
        notAfter = c.notAfter;
        key = keyText(c.spki);
        certified.keys.add(sha256(c.spki)!);
      } catch {
        /* not an X.509 certificate we can read; listed anyway */
      }
      if (id(h)) certified.ids.add(id(h));
      certificates.push({
        class: 'certificate',
        label: this.#label(h),
        id: id(h),
        subject,
        notAfter,
        key,
        sha256: sha256(der),
      });
    }
    const publicKeys = this.find([{ type: P.CKA_CLASS, value: P.CKO_PUBLIC_KEY }]).map((h) => ({
      h,
      id: id(h),
      spkiSha256: sha256(this.spkiOf(h)),
    }));
    const orphan = (keyId: string, spkiSha256: string | undefined) =>
      !(keyId && certified.ids.has(keyId)) && !(spkiSha256 && certified.keys.has(spkiSha256));
    for (const h of this.find([{ type: P.CKA_CLASS, value: P.CKO_PRIVATE_KEY }])) {
      const keyId = id(h);
      // EC private keys carry no public point: their public half is the public key object with the same CKA_ID.
      const spkiSha256 = sha256(this.spkiOf(h)) ?? publicKeys.find((k) => keyId && k.id === keyId)?.spkiSha256;
      out.push({
        class: 'privateKey',
        label: this.#label(h),
        id: keyId,
        key: this.#keyDescription(h),
        ...(spkiSha256 ? { spkiSha256 } : {}),
        orphan: orphan(keyId, spkiSha256),
        access: {
          sensitive: this.#bool(h, P.CKA_SENSITIVE),
          extractable: this.#bool(h, P.CKA_EXTRACTABLE),
          neverExtractable: this.#bool(h, P.CKA_NEVER_EXTRACTABLE),
          local: this.#bool(h, P.CKA_LOCAL),
        },
      });
    }
    for (const { h, id: keyId, spkiSha256 } of publicKeys) {
      out.push({
        class: 'publicKey',
        label: this.#label(h),
        id: keyId,
        key: this.#keyDescription(h),
        ...(spkiSha256 ? { spkiSha256 } : {}),
        orphan: orphan(keyId, spkiSha256),
      });
    }
    out.push(...certificates);
    for (const h of this.find([{ type: P.CKA_CLASS, value: P.CKO_DATA }]))
      out.push({ class: 'data', label: this.#label(h), id: id(h) });
    return out;
  }

  // --- keys ------------------------------------------------------------------------------

  /**
   * Generate a key pair on the card (after login). The private key is a token object,
   * private, sensitive and not extractable; CKA_ID becomes the key identifier that the
   * certificate's SKI will carry.
   */
  async generateKeyPair(spec: CardKeySpec, label: string): Promise<GeneratedKey> {
    const tmpId = randomBytes(20);
    const common = [
      { type: P.CKA_TOKEN, value: true },
      { type: P.CKA_LABEL, value: label },
      { type: P.CKA_ID, value: tmpId },
    ];
    const pub: pkcs11js.Template = [
      ...common,
      { type: P.CKA_PRIVATE, value: false },
      { type: P.CKA_VERIFY, value: true },
    ];
    const priv: pkcs11js.Template = [
      ...common,
      { type: P.CKA_PRIVATE, value: true },
      { type: P.CKA_SENSITIVE, value: true },
      { type: P.CKA_EXTRACTABLE, value: false },
      { type: P.CKA_SIGN, value: true },
    ];
    let mechanism: number;
    if (spec.kind === 'rsa') {
      mechanism = P.CKM_RSA_PKCS_KEY_PAIR_GEN;
      pub.push(
        { type: P.CKA_MODULUS_BITS, value: spec.bits },
        { type: P.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
        { type: P.CKA_ENCRYPT, value: true },
        { type: P.CKA_WRAP, value: true },
      );
      // AT_KEYEXCHANGE: the Smartcard User key also deciphers (key encipherment).
      priv.push({ type: P.CKA_DECRYPT, value: true }, { type: P.CKA_UNWRAP, value: true });
    } else {
      mechanism = P.CKM_EC_KEY_PAIR_GEN;
      pub.push({ type: P.CKA_EC_PARAMS, value: ecParams(spec.curve) });
      priv.push({ type: P.CKA_DERIVE, value: true });
    }
    let kp: pkcs11js.KeyPair;
    try {
      kp = await this.p.C_GenerateKeyPairAsync(this.handle, { mechanism }, pub, priv);
    } catch (e) {
      throw this.fail(e, `generating an ${spec.kind === 'rsa' ? `RSA ${spec.bits}` : `EC ${spec.curve}`} key`);
    }
    const spki = this.spkiOf(kp.publicKey);
    if (!spki)
      throw new CardError('CARD_ERROR', this.card, 'the card generated a key whose public part cannot be read');
    let id = cardKeyId(spki);
    try {
      this.p.C_SetAttributeValue(this.handle, kp.privateKey, [{ type: P.CKA_ID, value: id }]);
      this.p.C_SetAttributeValue(this.handle, kp.publicKey, [{ type: P.CKA_ID, value: id }]);
    } catch {
      // Some cards fix CKA_ID at generation; keep theirs (installCertificate matches by key).
      id = tmpId;
    }
    return { privateKey: kp.privateKey, publicKey: kp.publicKey, spki, id, label, spec };
  }

  /** The private key whose public half is `spki` (by CKA_ID = key identifier, then by comparing public keys). */
  findKeyFor(
    spki: Buffer,
    preferredId?: Buffer,
  ): { privateKey: Handle; publicKey: Handle | undefined; id: Buffer } | undefined {
    const ids = [preferredId, cardKeyId(spki)].filter((x): x is Buffer => !!x);
    for (const h of this.find([{ type: P.CKA_CLASS, value: P.CKO_PUBLIC_KEY }])) {
      const s = this.spkiOf(h);
      if (!s?.equals(spki)) continue;
      const id = this.attr(h, P.CKA_ID) ?? Buffer.alloc(0);
      const priv = this.find([
        { type: P.CKA_CLASS, value: P.CKO_PRIVATE_KEY },
        { type: P.CKA_ID, value: id },
      ]);
      if (priv.length === 1) return { privateKey: priv[0], publicKey: h, id };
    }
    for (const id of ids) {
      const priv = this.find([
        { type: P.CKA_CLASS, value: P.CKO_PRIVATE_KEY },
        { type: P.CKA_ID, value: id },
      ]);
      for (const h of priv) {
        const s = this.spkiOf(h);
        if (!s || s.equals(spki)) return { privateKey: h, publicKey: undefined, id };
      }
    }
    for (const h of this.find([{ type: P.CKA_CLASS, value: P.CKO_PRIVATE_KEY }])) {
      const s = this.spkiOf(h);
      if (s?.equals(spki))
        return { privateKey: h, publicKey: undefined, id: this.attr(h, P.CKA_ID) ?? Buffer.alloc(0) };
    }
    return undefined;
  }

  /** Sign `data` with a card key: hash here, then CKM_RSA_PKCS or CKM_ECDSA on the card. ECDSA comes back as DER. */
  async sign(privateKey: Handle, spki: Buffer, hash: CardHash, data: Uint8Array): Promise<Buffer> {
    const key = decodeSpki(spki);
    const rsa = key.kind === 'rsa';
    const input = rsa ? rsaPkcs1Input(hash, data) : ecdsaInput(hash, data);
    try {
      this.p.C_SignInit(this.handle, { mechanism: rsa ? P.CKM_RSA_PKCS : P.CKM_ECDSA }, privateKey);
      const sig = await this.p.C_SignAsync(this.handle, input, Buffer.alloc(1024));
      // An unpooled copy: Buffer.from(small) shares the 8 KB pool, and callers that hand
      // `.buffer` to ASN.1 encoders (buildCsr) would carry the whole pool along.
      return unpooled(rsa ? sig : p1363ToDer(sig));
    } catch (e) {
      throw this.fail(e, 'signing');
    }
  }

  destroy(h: Handle): void {
    try {
      this.p.C_DestroyObject(this.handle, h);
    } catch (e) {
      throw this.fail(e, 'deleting an object');
    }
  }

  /** Remove a key pair (and any certificate) with CKA_ID `id`, e.g. after a denied request. */
  destroyById(id: Buffer): number {
    let n = 0;
    for (const cls of [P.CKO_CERTIFICATE, P.CKO_PRIVATE_KEY, P.CKO_PUBLIC_KEY]) {
      for (const h of this.find([
        { type: P.CKA_CLASS, value: cls },
        { type: P.CKA_ID, value: id },
      ])) {
        this.destroy(h);
        n++;
      }
    }
    return n;
  }

  // --- certificates ------------------------------------------------------------------------

  /**
   * Write a certificate next to its private key: same CKA_ID (the certificate's SKI,
   * moved onto the key pair when the card allows it), CKA_LABEL = friendly name.
   * Installing the same certificate twice changes nothing.
   */
  installCertificate(der: Buffer, friendlyName: string): InstalledCertificate {
    const cert = readCertificate(der, { unknownCritical: 'record' });
    const certKeyId = keyIdOf(cert);
    const existing = this.find([
      { type: P.CKA_CLASS, value: P.CKO_CERTIFICATE },
      { type: P.CKA_VALUE, value: der },
    ]);
    if (existing.length)
      return {
        id: this.attr(existing[0], P.CKA_ID)?.toString('hex') ?? '',
        label: this.#label(existing[0]),
        alreadyPresent: true,
      };
    const key = this.findKeyFor(cert.spki, certKeyId);
    if (!key) {
      if (!this.present())
        throw new CardError(
          'CARD_REMOVED',
          this.card,
          `card ${describeCard(this.card)} was removed before the certificate was installed`,
        );
      throw new CardError(
        'CARD_KEY_NOT_FOUND',
        this.card,
        `card ${describeCard(this.card)} holds no private key for the certificate "${cert.subjectText}" ` +
          `(${keyText(cert.spki)}); it must be installed on the card that made the request`,
      );
    }
    let id = key.id;
    if (!id.equals(certKeyId)) {
      try {
        this.p.C_SetAttributeValue(this.handle, key.privateKey, [{ type: P.CKA_ID, value: certKeyId }]);
        if (key.publicKey)
          this.p.C_SetAttributeValue(this.handle, key.publicKey, [{ type: P.CKA_ID, value: certKeyId }]);
        id = certKeyId;
      } catch {
        /* the card keeps its own CKA_ID; the certificate takes the key's */
      }
    }
    // CKA_SERIAL_NUMBER is the DER INTEGER (PKCS#11 v2.40 §4.6.3), as the certificate encodes it.
    const serialDer = cert.serialTlv;
    try {
      this.p.C_CreateObject(this.handle, [
        { type: P.CKA_CLASS, value: P.CKO_CERTIFICATE },
        { type: P.CKA_CERTIFICATE_TYPE, value: P.CKC_X_509 },
        { type: P.CKA_TOKEN, value: true },
        { type: P.CKA_PRIVATE, value: false },
        { type: P.CKA_LABEL, value: friendlyName },
        { type: P.CKA_ID, value: id },
        { type: P.CKA_SUBJECT, value: cert.subject },
        { type: P.CKA_ISSUER, value: cert.issuer },
        { type: P.CKA_SERIAL_NUMBER, value: serialDer },
        { type: P.CKA_VALUE, value: der },
      ]);
    } catch (e) {
      throw this.fail(e, 'installing the certificate');
    }
    return { id: id.toString('hex'), label: friendlyName, alreadyPresent: false };
  }

  // --- PINs --------------------------------------------------------------------------------

  /** C_SetPIN after logging in with the old PIN; clears Tessera's change-required marker. */
  changePin(oldPin: string, newPin: string): void {
    checkNewPin(this.card, newPin);
    this.login(oldPin);
    try {
      this.p.C_SetPIN(this.handle, oldPin, newPin);
    } catch (e) {
      throw this.fail(e, 'changing the PIN');
    }
    for (const h of this.#findMarker()) this.destroy(h);
  }

  /** C_InitPIN as the security officer: a new user PIN, which also ends a lockout. */
  unblock(soPin: string, newPin: string): void {
    checkNewPin(this.card, newPin);
    this.loginSo(soPin);
    try {
      this.p.C_InitPIN(this.handle, newPin);
    } catch (e) {
      throw this.fail(e, 'setting the new PIN');
    } finally {
      this.logout();
    }
  }

  /** Mark the card so Tessera tools refuse it until the PIN is changed (needs a R/W session). */
  requirePinChange(): void {
    if (this.#findMarker().length) return;
    try {
      this.p.C_CreateObject(this.handle, [
        { type: P.CKA_CLASS, value: P.CKO_DATA },
        { type: P.CKA_TOKEN, value: true },
        { type: P.CKA_PRIVATE, value: false },
        { type: P.CKA_APPLICATION, value: APPLICATION },
        { type: P.CKA_LABEL, value: PIN_CHANGE_MARKER },
        { type: P.CKA_VALUE, value: Buffer.from([1]) },
      ]);
    } catch (e) {
      throw this.fail(e, 'marking the PIN for change');
    }
  }

  #findMarker(): Handle[] {
    return this.find([
      { type: P.CKA_CLASS, value: P.CKO_DATA },
      { type: P.CKA_LABEL, value: PIN_CHANGE_MARKER },
    ]);
  }
}

function lockedError(card: CardInfo): CardError {
  return new CardError(
    'CARD_PIN_LOCKED',
    card,
    `the PIN of card ${describeCard(card)} is locked; unblock it with: tessera card unblock --card "${card.label}"`,
  );
}

function triesText(tries: PinTries, softHsm: boolean): string {
  if (softHsm) return '; note: SoftHSM2 virtual cards keep no retry limit and never lock';
  if (tries === 'final') return '; one attempt is left before the card locks the PIN';
  if (tries === 'low') return '; the card reports that few attempts are left';
  return '';
}

/** The card's own PIN length limits, checked before the card is asked (no attempt is spent). */
export function checkNewPin(card: CardInfo, pin: string): void {
  const min = card.minPinLength || 4;
  const max = card.maxPinLength || 255;
  const len = Buffer.byteLength(pin, 'utf8');
  if (len < min || len > max)
    throw new CardError(
      'CARD_PIN_INVALID',
      card,
      `a PIN for card ${describeCard(card)} has ${min} to ${max} characters`,
    );
}

function unpooled(b: Uint8Array): Buffer {
  const copy = new Uint8Array(b.length);
  copy.set(b);
  return Buffer.from(copy.buffer);
}

export function keyText(spki: Buffer): string {
  try {
    const k = decodeSpki(spki);
    return k.kind === 'rsa' ? `RSA ${k.bits}` : `EC ${k.curve as CurveName}`;
  } catch {
    return 'unknown';
  }
}
