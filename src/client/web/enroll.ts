/**
 * The request flow shared by the advanced request form (certrqma.asp) and the enrollment
 * station (certsces.asp): read and check the choices, create the key (browser or card),
 * build and sign the request, remember the key, and post SubmittedData to certfnsh.asp.
 */
import type { RequestHash } from '../../x509/buildCsr.js';
import type { CmcAgentSigner } from '../../x509/cmc/buildCmcRequest.js';
import { generateBrowserKey } from './browserKey.js';
import { base64Lines, randomHex } from './bytes.js';
import { BROWSER_PROVIDER, buildEnrollmentRequest, CARD_PROVIDER, HASHES, type RequestKey } from './buildRequest.js';
import { buildCertAttrib, friendlyType, parseTypedAttributes } from './certAttrib.js';
import { CardAgentClient, CardAgentError, describeAgentCard, parseAgentUrl, type AgentCard } from './cardAgent.js';
import { cardChoiceProblem, cardToSelect, FIND_CARDS, noCardMessage, type CardLook } from './cardChoice.js';
import { keyStorageProblem, webCryptoProblem } from './env.js';
import { cardHandle, KeyStore, type KeyRecord } from './keyStore.js';
import {
  agentTemplateMessage,
  allowsAlg,
  checkKeyChoice,
  defaultKeySize,
  keySpecNumber,
  keyUsageFor,
  parseTemplate,
  type KeyAlg,
  type KeyUsageChoice,
  type TemplateInfo,
} from './template.js';
import {
  byId,
  clearErrors,
  clearFieldError,
  csrfToken,
  fieldError,
  mustId,
  PageError,
  radios,
  radioValue,
  setBusy,
  setHidden,
  setStatus,
  showFailure,
} from './ui.js';

export const AGENT_URL_KEY = 'tessera.cardAgentUrl';

export function selectedTemplate(): TemplateInfo | null {
  const sel = byId<HTMLSelectElement>('lbCertTemplate');
  const opt = sel?.selectedOptions[0];
  if (!opt?.value) return null;
  return parseTemplate(opt.value, opt.dataset, opt.textContent ?? '');
}

const HASH_NOTE_ID = 'lbHashAlgorithm-note';

/** Lock and adjust the key controls to what the template allows (AD CS does the same). */
export function syncTemplateControls(o: { station?: boolean } = {}): void {
  const t = selectedTemplate();
  const submit = byId<HTMLButtonElement>('btnSubmit');
  if (!t) return;
  if (t.agentSignatures > 0 && !o.station) {
    fieldError('lbCertTemplate', agentTemplateMessage(t), false);
    if (submit) submit.disabled = true;
  } else {
    clearFieldError('lbCertTemplate');
    if (submit) submit.disabled = false;
  }
  const algSel = byId<HTMLSelectElement>('lbKeyAlg');
  if (algSel) {
    for (const o of Array.from(algSel.options)) o.disabled = !allowsAlg(t, o.value as KeyAlg);
    if (algSel.selectedOptions[0]?.disabled) {
      const first = Array.from(algSel.options).find((o) => !o.disabled);
      if (first) algSel.value = first.value;
    }
  }
  const size = byId<HTMLInputElement>('tbKeySize');
  if (size) {
    const min = t.rsaMin ?? 2048;
    size.min = String(min);
    if (!size.value || Number(size.value) < min) size.value = String(defaultKeySize(t));
  }
  const usage = keyUsageFor(t);
  for (const r of radios('rbKeyUsage')) {
    r.checked = r.value === usage;
    r.disabled = r.value !== usage;
  }
  syncKeyAlgControls();
}

export function syncKeyAlgControls(): void {
  const alg = byId<HTMLSelectElement>('lbKeyAlg')?.value ?? 'rsa';
  const size = byId<HTMLInputElement>('tbKeySize');
  if (size) size.disabled = alg !== 'rsa';
}

/**
 * The note that SHA-1 only signs the request. When the page already explains the hash
 * (#hashNote), it is marked as applying; otherwise a note is added after the list.
 */
export function syncHashNote(): void {
  const sel = byId<HTMLSelectElement>('lbHashAlgorithm');
  if (!sel) return;
  const sha1 = sel.value === 'sha1';
  const pageNote = byId('hashNote');
  if (pageNote) {
    pageNote.classList.toggle('applies', sha1);
    pageNote.dataset.sha1 = String(sha1);
    return;
  }
  let note = byId(HASH_NOTE_ID);
  if (sha1 && !note) {
    note = document.createElement('p');
    note.id = HASH_NOTE_ID;
    note.className = 'note';
    note.textContent = 'SHA-1 only signs this request. The CA signs your certificate with SHA-256 or stronger.';
    sel.insertAdjacentElement('afterend', note);
    const d = new Set((sel.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean));
    d.add(HASH_NOTE_ID);
    sel.setAttribute('aria-describedby', [...d].join(' '));
  }
  if (note) note.hidden = !sha1;
}

export function syncContainerName(): void {
  const tb = byId<HTMLInputElement>('tbContainerName');
  if (tb) tb.disabled = radioValue('rbGenContName') !== '1';
}

export function selectedProvider(): 'browser' | 'card' {
  return byId<HTMLSelectElement>('lbCSP')?.value === 'card' ? 'card' : 'browser';
}

// --- The card agent in the form ---------------------------------------------------------------

export function agentClient(): CardAgentClient {
  const tb = byId<HTMLInputElement>('tbAgentUrl');
  const url = tb?.value || tb?.defaultValue || 'http://127.0.0.1:8399';
  return new CardAgentClient(url, location.origin);
}

/** What the last look for the agent and the cards found (null before the first). */
let lastLook: CardLook | null = null;
/** Set by initKeyForm: the enrollment station pre-selects no card. */
let stationForm = false;
/** Looks overlap (the provider chosen, then an address typed): only the latest one speaks. */
let lookCount = 0;

function rememberAgentUrl(url: string): void {
  try {
    localStorage.setItem(AGENT_URL_KEY, url);
  } catch {
    /* storage switched off: the address is typed again next time */
  }
}

function cardOption(value: string, text: string, label?: string): HTMLOptionElement {
  const o = document.createElement('option');
  o.value = value;
  if (label !== undefined) o.dataset.label = label;
  o.textContent = text;
  return o;
}

/** Probe the agent and fill #lbCard; problems go next to the agent address or the card list. */
export async function refreshCards(): Promise<AgentCard[]> {
  for (const id of ['tbAgentUrl', 'lbCard', 'tbPin']) clearFieldError(id);
  const sel = byId<HTMLSelectElement>('lbCard');
  const btn = byId<HTMLButtonElement>('btnRefreshCards');
  if (btn) btn.disabled = true;
  setStatus('Looking for the card agent and your smart cards…', 'working');
  const look = ++lookCount;
  let url = byId<HTMLInputElement>('tbAgentUrl')?.value ?? '';
  try {
    const client = agentClient();
    url = client.url;
    // The address the user last used, whatever the agent answers: the next form starts from it.
    rememberAgentUrl(client.url);
    await client.status();
    const cards = await client.cards();
    if (look !== lookCount) return cards;
    lastLook = { url: client.url, cards };
    if (sel) {
      const before = sel.value;
      const options = cards.map((c) => cardOption(c.serial, describeAgentCard(c), c.label));
      sel.replaceChildren(
        ...(stationForm && cards.length ? [cardOption('', "(choose the user's card)")] : []),
        ...options,
      );
      sel.value = cardToSelect(cards, before, { station: stationForm });
    }
    if (!cards.length) {
      fieldError('lbCard', `Insert the smart card, then choose "${FIND_CARDS}".`, false);
      setStatus(noCardMessage(client.url), 'error');
    } else {
      const found = `Card agent found: ${cards.length === 1 ? '1 smart card' : `${cards.length} smart cards`} present.`;
      const locked = sel?.value ? cardChoiceProblem(lastLook, sel.value, { station: stationForm }) : null;
      if (locked) fieldError(locked.field, locked.message, false);
      setStatus(
        locked ? `${found} ${locked.message}` : stationForm && !sel?.value ? `${found} Choose the user's card.` : found,
        locked ? 'error' : 'info',
      );
    }
    return cards;
  } catch (e) {
    if (look !== lookCount) return [];
    if (sel) sel.replaceChildren();
    if (e instanceof CardAgentError) {
      lastLook = { url, error: e };
      if (e.field) fieldError(e.field, e.message, false);
      setStatus(e.message, 'error');
      return [];
    }
    throw e;
  } finally {
    if (btn && look === lookCount) btn.disabled = false;
  }
}

/**
 * Before Submit reads the choices: with the card provider and no card chosen, look again,
 * so the message says what is wrong now (no agent, a refused site, no card) rather than
 * what the page found when it opened.
 */
export async function lookAgainIfNoCard(): Promise<void> {
  if (selectedProvider() !== 'card' || byId<HTMLSelectElement>('lbCard')?.value) return;
  await refreshCards();
}

export function syncProvider(): void {
  const card = selectedProvider() === 'card';
  const fs = byId<HTMLFieldSetElement>('cardOptions');
  if (fs) {
    fs.hidden = !card;
    fs.disabled = !card;
  }
  const exp = byId<HTMLInputElement>('cbMarkKeyExportable');
  if (exp) {
    // A card key never leaves the card.
    exp.disabled = card;
    if (card) exp.checked = false;
  }
}

// --- Reading and checking the choices ------------------------------------------------------

export interface RequestChoices {
  readonly template: TemplateInfo;
  readonly provider: 'browser' | 'card';
  readonly alg: KeyAlg;
  readonly keySize: number;
  readonly keyUsage: KeyUsageChoice;
  readonly container: string;
  readonly exportable: boolean;
  readonly format: 'cmc' | 'pkcs10';
  readonly hashName: 'sha1' | 'sha256' | 'sha384' | 'sha512';
  readonly hash: RequestHash;
  readonly attributes: string[];
  readonly friendlyName: string;
  readonly card?: {
    readonly client: CardAgentClient;
    readonly serial: string;
    readonly label: string;
    readonly pin: string;
  };
}

const CONTAINER_RE = /^[A-Za-z0-9 _.@()-]{1,64}$/;

/**
 * Every choice, checked; the first problem is thrown as a PageError naming its field.
 * `station`: the enrollment station, where requests are CMC (the agent co-signs) and
 * templates needing agent signatures are the point.
 */
export function readChoices(o: { station?: boolean } = {}): RequestChoices {
  const cryptoProblem = webCryptoProblem();
  if (cryptoProblem) throw new PageError(cryptoProblem, 'btnSubmit');
  const template = selectedTemplate();
  if (!template) throw new PageError('Choose a certificate template.', 'lbCertTemplate');
  if (template.agentSignatures > 0 && !o.station) throw new PageError(agentTemplateMessage(template), 'lbCertTemplate');
  if (radioValue('rbKeyGen') === '1')
    throw new PageError(
      'Tessera always creates a new key set for a request: the card agent does not ' +
        'sign requests with a key already on the card. Choose "Create new key set".',
      'rbKeyGen',
    );

  const algSel = byId<HTMLSelectElement>('lbKeyAlg');
  const alg = (algSel?.value ?? (template.rsaMin !== null ? 'rsa' : (template.ecCurves[0] ?? 'rsa'))) as KeyAlg;
  if (!['rsa', 'P-256', 'P-384'].includes(alg)) throw new PageError('Choose a key algorithm.', 'lbKeyAlg');
  const sizeText = byId<HTMLInputElement>('tbKeySize')?.value.trim();
  const keySize =
    sizeText === undefined || sizeText === '' ? (byId('tbKeySize') ? NaN : defaultKeySize(template)) : Number(sizeText);
  const problem = checkKeyChoice(template, alg, keySize);
  if (problem) throw new PageError(problem.message, problem.field);

  const keyUsage = (radioValue('rbKeyUsage') ?? keyUsageFor(template)) as KeyUsageChoice;
  if (keyUsage !== keyUsageFor(template)) {
    throw new PageError(
      `The ${template.display} template fixes the key usage to ` +
        `${{ '0': 'Exchange', '1': 'Signature', '2': 'Both' }[keyUsageFor(template)]}.`,
      'rbKeyUsage',
    );
  }

  let container = '';
  if (radioValue('rbGenContName') === '1') {
    container = byId<HTMLInputElement>('tbContainerName')?.value.trim() ?? '';
    if (!container)
      throw new PageError('Type a key container name, or choose "Automatic key container name".', 'tbContainerName');
    if (!CONTAINER_RE.test(container))
      throw new PageError(
        'A container name has at most 64 letters, digits, spaces and . _ - @ ( ).',
        'tbContainerName',
      );
  }

  const format = o.station || radioValue('rbRequestFormat') !== '1' ? 'cmc' : 'pkcs10';
  const hashName = (byId<HTMLSelectElement>('lbHashAlgorithm')?.value ?? 'sha256') as RequestChoices['hashName'];
  const hash = HASHES[hashName];
  if (!hash) throw new PageError('Choose a hash algorithm.', 'lbHashAlgorithm');

  const typed = parseTypedAttributes(byId<HTMLTextAreaElement>('taAttrib')?.value ?? '');
  if ('message' in typed) throw new PageError(typed.message, 'taAttrib');

  const friendlyName = byId<HTMLInputElement>('tbFriendlyName')?.value.trim() ?? '';
  if (friendlyName.length > 100)
    throw new PageError('The friendly name is too long (at most 100 characters).', 'tbFriendlyName');
  if (/[\u0000-\u001f\u007f]/.test(friendlyName))
    throw new PageError('The friendly name cannot hold control characters.', 'tbFriendlyName');

  const provider = selectedProvider();
  let card: RequestChoices['card'];
  if (provider === 'card') {
    let client: CardAgentClient;
    try {
      client = agentClient();
    } catch (e) {
      if (e instanceof CardAgentError) throw new PageError(e.message, e.field);
      throw e;
    }
    const sel = byId<HTMLSelectElement>('lbCard');
    const opt = sel?.selectedOptions[0];
    const problem = cardChoiceProblem(lastLook, opt?.value ?? '', { station: o.station });
    if (problem) throw new PageError(problem.message, problem.field);
    if (!opt?.value)
      throw new PageError(`Insert the smart card, then choose "${FIND_CARDS}" and pick the card.`, 'lbCard');
    const pin = byId<HTMLInputElement>('tbPin')?.value ?? '';
    if (!pin) throw new PageError('Enter the smart card PIN.', 'tbPin');
    card = { client, serial: opt.value, label: opt.dataset.label ?? opt.value, pin };
  } else {
    const storage = keyStorageProblem();
    if (storage) throw new PageError(storage, 'lbCSP');
  }
  const exportable = provider === 'browser' && !!byId<HTMLInputElement>('cbMarkKeyExportable')?.checked;
  return {
    template,
    provider,
    alg,
    keySize,
    keyUsage,
    container,
    exportable,
    format,
    hashName,
    hash,
    attributes: typed.lines,
    friendlyName,
    card,
  };
}

// --- Creating the key and the request ---------------------------------------------------------

export interface PreparedRequest {
  readonly der: Uint8Array;
  readonly record: KeyRecord;
  /** Undo on the card (remove the new key) when the request cannot be sent. */
  readonly abandon: () => Promise<void>;
}

function cardFailure(e: unknown): never {
  if (e instanceof CardAgentError) throw new PageError(e.message, e.field);
  throw e;
}

/**
 * Create the key with the chosen provider and build the signed request. `onBehalf` adds
 * the RequesterName regInfo and the enrollment agent's co-signature.
 */
export async function prepareRequest(
  c: RequestChoices,
  progress: (m: string) => void,
  onBehalf?: { regInfo: string; agent: CmcAgentSigner; target: string },
): Promise<PreparedRequest> {
  const container = c.container || `te-${c.template.name}-${globalThis.crypto.randomUUID?.() ?? randomHex(16)}`;
  const base = {
    created: Date.now(),
    templateName: c.template.name,
    templateDisplay: c.template.display,
    friendlyName: c.friendlyName,
    alg: c.alg,
    ...(onBehalf ? { target: onBehalf.target } : {}),
  };
  const build = (key: RequestKey, provider: string) =>
    buildEnrollmentRequest({
      key,
      hash: c.hash,
      format: c.format,
      template: c.template,
      keySpec: keySpecNumber(c.keyUsage),
      provider,
      regInfo: onBehalf?.regInfo,
      agent: onBehalf?.agent,
    });

  if (c.provider === 'browser') {
    progress(
      c.alg === 'rsa'
        ? `Creating an RSA ${c.keySize}-bit key in this browser…`
        : `Creating an ECDSA ${c.alg} key in this browser…`,
    );
    const key = await generateBrowserKey(c.alg, c.keySize, c.hash);
    progress('Signing the request with the new key…');
    const req = await build(
      { spki: key.spki, keyKind: key.keyKind, signPkcs10: key.sign, signCmc: () => key.sign },
      BROWSER_PROVIDER,
    );
    const record: KeyRecord = {
      ...base,
      handle: randomHex(20),
      provider: 'browser',
      exportable: c.exportable,
      container,
      spki: key.spki,
      key: key.sealed,
    };
    return { der: req.der, record, abandon: async () => {} };
  }

  const card = c.card!;
  progress(`Creating the key on the smart card "${card.label}" (this can take a few seconds)…`);
  const gen = await card.client
    .generate({
      serial: card.serial,
      pin: card.pin,
      alg: c.alg,
      keySize: c.keySize,
      template: c.template.name,
      container: c.container || undefined,
    })
    .catch(cardFailure);
  const abandon = async () => {
    try {
      await card.client.cancel(gen.session, card.pin);
    } catch {
      /* the key stays on the card; `tessera card list` shows it */
    }
  };
  try {
    progress(`Signing the request on the smart card "${gen.card.label}"…`);
    const sign = (format: 'pkcs10' | 'cmc', content?: Uint8Array) => (data: Uint8Array) =>
      card.client.sign({ session: gen.session, pin: card.pin, hash: c.hashName, format, data, content });
    const req = await build(
      { spki: gen.spki, keyKind: gen.keyKind, signPkcs10: sign('pkcs10'), signCmc: (content) => sign('cmc', content) },
      CARD_PROVIDER,
    );
    const record: KeyRecord = {
      ...base,
      handle: cardHandle(gen.card.serial, gen.keyId),
      provider: 'card',
      card: gen.card,
      keyId: gen.keyId,
      container: gen.container,
      agentUrl: card.client.url,
      spki: gen.spki,
    };
    return { der: req.der, record, abandon };
  } catch (e) {
    await abandon();
    return cardFailure(e);
  }
}

/** Remember the key, fill SubmittedData and post it to certfnsh.asp (the page navigates away). */
export async function submitPrepared(p: PreparedRequest, c: RequestChoices): Promise<void> {
  const form = mustId<HTMLFormElement>('SubmittedData');
  const store = await KeyStore.open();
  try {
    await store.put(p.record);
  } finally {
    store.close();
  }
  setHidden(form, 'Mode', 'newreq');
  setHidden(form, 'CertRequest', base64Lines(p.der));
  setHidden(form, 'CertAttrib', buildCertAttrib(c.template.name, c.attributes, navigator.userAgent));
  setHidden(form, 'FriendlyType', friendlyType(c.template.display, new Date()));
  setHidden(form, 'ThumbPrint', p.record.handle);
  setHidden(form, 'TargetStoreFlags', '0');
  setHidden(form, 'SaveCert', 'no');
  const token = csrfToken();
  if (token) setHidden(form, 'csrf', token);
  form.submit();
}

// --- Page set-up shared by the request form and the enrollment station --------------------

/**
 * Fill the card agent address this browser last used, unless the user changed the field.
 * The field's own value is the site's default (web.cardAgentUrl, else port 8399).
 */
export function restoreAgentUrl(): void {
  const tb = byId<HTMLInputElement>('tbAgentUrl');
  if (!tb) return;
  try {
    const saved = localStorage.getItem(AGENT_URL_KEY);
    if (saved && tb.value === tb.defaultValue) tb.value = saved;
  } catch {
    /* storage switched off */
  }
}

const lookForCards = () => void refreshCards().catch((e) => showFailure(e, 'looking for smart cards'));

/**
 * Wire the key controls of a request form (#advanced or #station): template locks, key
 * algorithm, hash note, provider and card list, and the Submit button running `submit`.
 * Returns false (Submit disabled, the reason in the status line) when the browser cannot
 * create keys.
 */
export function initKeyForm(o: { formId: string; station?: boolean; submit: () => Promise<void> }): boolean {
  const button = byId<HTMLButtonElement>('btnSubmit');
  const problem = webCryptoProblem();
  if (problem) {
    setStatus(problem, 'error');
    if (button) button.disabled = true;
    return false;
  }
  stationForm = !!o.station;
  restoreAgentUrl();
  // A new agent address is looked at (and remembered) as soon as the user leaves the field.
  byId('tbAgentUrl')?.addEventListener('change', () => {
    const typed = parseAgentUrl(byId<HTMLInputElement>('tbAgentUrl')?.value ?? '');
    if (typed) rememberAgentUrl(typed.origin);
    if (selectedProvider() === 'card') lookForCards();
  });
  byId('lbCertTemplate')?.addEventListener('change', () => syncTemplateControls({ station: o.station }));
  byId('lbKeyAlg')?.addEventListener('change', syncKeyAlgControls);
  byId('lbHashAlgorithm')?.addEventListener('change', syncHashNote);
  byId('lbCSP')?.addEventListener('change', () => {
    syncProvider();
    if (selectedProvider() === 'card') lookForCards();
  });
  byId('btnRefreshCards')?.addEventListener('click', lookForCards);
  syncTemplateControls({ station: o.station });
  syncHashNote();
  syncProvider();
  if (selectedProvider() === 'card') lookForCards();
  button?.addEventListener('click', () => void o.submit());
  // The form itself is never submitted: only the button creates a key and a request.
  byId<HTMLFormElement>(o.formId)?.addEventListener('submit', (ev) => ev.preventDefault());
  return true;
}

/** Run a submission with the button busy; any failure is shown, the button freed unless the page is leaving. */
export async function runSubmission(work: () => Promise<void>): Promise<void> {
  const button = byId<HTMLButtonElement>('btnSubmit');
  clearErrors();
  setBusy(button, true);
  let leaving = false;
  try {
    await work();
    leaving = true;
  } catch (e) {
    showFailure(e, 'creating the request');
  } finally {
    if (!leaving) setBusy(button, false);
  }
}
