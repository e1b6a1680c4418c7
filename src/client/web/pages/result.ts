/**
 * The result pages certfnsh.asp shows (docs/certsrv.md §3): Issued (step 11,
 * "Install this certificate"), Pending (remember which key belongs to the request ID),
 * Denied and Error (forget the key made for the refused request).
 *
 * Install for a browser key: a password-protected PKCS#12 built here and saved as
 * `<friendly name>.p12`; the private key never leaves the browser. Install for a card
 * key: the certificate is written onto the card by the card agent, with the PIN typed
 * here and the friendly name as its label.
 */
import { unsealPrivateKey } from '../browserKey.js';
import { fromBase64 } from '../bytes.js';
import { p12FileName } from '../certAttrib.js';
import { CardAgentClient, CardAgentError } from '../cardAgent.js';
import { AGENT_URL_KEY, restoreAgentUrl } from '../enroll.js';
import { KeyStore, parseCardHandle, type KeyRecord } from '../keyStore.js';
import { buildPkcs12, spkiOfCertificate } from '../pkcs12.js';
import { byId, clearErrors, csrfToken, fieldError, PageError, setBusy, setStatus, showFailure } from '../ui.js';

interface IssuedData {
  readonly certificate: Uint8Array;
  readonly chain: Uint8Array[];
  readonly friendlyType: string;
  readonly templateName: string;
}

interface ResultInfo {
  readonly requestId: number | null;
  readonly thumbprint: string;
}

function resultInfo(): ResultInfo {
  const el = byId('result');
  const id = Number(el?.dataset.reqId ?? '');
  return { requestId: Number.isInteger(id) && id > 0 ? id : null, thumbprint: (el?.dataset.thumbprint ?? '').trim() };
}

export function readIssuedData(text: string): IssuedData {
  const j = JSON.parse(text) as {
    certificate?: unknown;
    chain?: unknown;
    friendlyType?: unknown;
    templateName?: unknown;
  };
  if (typeof j.certificate !== 'string')
    throw new PageError('The issued certificate is missing from this page; use the download links instead.');
  return {
    certificate: fromBase64(j.certificate),
    chain: Array.isArray(j.chain) ? j.chain.filter((c): c is string => typeof c === 'string').map(fromBase64) : [],
    friendlyType: typeof j.friendlyType === 'string' ? j.friendlyType : '',
    templateName: typeof j.templateName === 'string' ? j.templateName : '',
  };
}

/** The key record for this result: by ThumbPrint, else by request ID (a pending request checked later). */
async function findRecord(
  store: KeyStore,
  info: ResultInfo,
): Promise<{ handle: string | null; record: KeyRecord | undefined }> {
  let handle = info.thumbprint || null;
  if (!handle && info.requestId !== null) handle = (await store.handleForRequest(info.requestId)) ?? null;
  if (!handle) return { handle: null, record: undefined };
  if (info.requestId !== null) await store.linkRequest(info.requestId, handle);
  return { handle, record: await store.get(handle) };
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

function hideField(id: string): void {
  const el = byId<HTMLInputElement>(id);
  if (!el) return;
  el.hidden = true;
  el.disabled = true;
  const label = document.querySelector<HTMLElement>(`label[for="${id}"]`);
  if (label) label.hidden = true;
}

/**
 * Show the install part that applies (the page renders #installBrowser and/or
 * #installCard; when a pending request is checked later it renders both, because only
 * this browser knows where the key is).
 */
function showInstallPart(kind: 'browser' | 'card' | 'none'): void {
  const browserPart = byId('installBrowser');
  const cardPart = byId('installCard');
  if (kind !== 'browser') {
    if (browserPart) browserPart.hidden = true;
    else for (const id of ['tbPfxPassword', 'tbPfxPassword2']) hideField(id);
  }
  if (kind !== 'card' && cardPart) cardPart.hidden = true;
  if (kind === 'browser' && browserPart) browserPart.hidden = false;
  if (kind === 'card' && cardPart) cardPart.hidden = false;
}

/** The PIN field for a card install; the page renders it, or we add one before the Install button. */
function pinField(before: HTMLElement): HTMLInputElement {
  const existing = byId<HTMLInputElement>('tbPin');
  if (existing) return existing;
  const wrap = document.createElement('p');
  wrap.className = 'field';
  const label = document.createElement('label');
  label.htmlFor = 'tbPin';
  label.textContent = 'Smart card PIN';
  const input = document.createElement('input');
  input.type = 'password';
  input.id = 'tbPin';
  input.name = 'tbPin';
  input.autocomplete = 'off';
  input.inputMode = 'numeric';
  wrap.append(label, ' ', input);
  before.insertAdjacentElement('beforebegin', wrap);
  return input;
}

function download(bytes: Uint8Array, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/x-pkcs12' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export const MIN_PFX_PASSWORD = 8;

/**
 * Tell the site the certificate was installed (certrmpn.asp Action=inst, as AD CS's page
 * does), so the request leaves this browser's pending list. In the background: the page
 * stays where it is, and a failure changes nothing for the user.
 */
async function reportInstalled(requestId: number | null): Promise<void> {
  if (requestId === null) return;
  try {
    await fetch('certrmpn.asp', {
      method: 'POST',
      body: new URLSearchParams({ Action: 'inst', ReqID: String(requestId), csrf: csrfToken() }),
      credentials: 'same-origin',
      redirect: 'manual',
    });
  } catch {
    /* the entry stays in the list; checking it again shows the issued page */
  }
}

export async function initIssued(): Promise<void> {
  const button = byId<HTMLButtonElement>('btnInstall');
  const dataEl = byId('issuedData');
  if (!button || !dataEl) return; // a download-only page (pasted request, SaveCert=yes)
  const info = resultInfo();
  let issued: IssuedData;
  try {
    issued = readIssuedData(dataEl.textContent ?? '');
  } catch (e) {
    button.disabled = true;
    showFailure(e, 'reading the issued certificate');
    return;
  }
  if (typeof indexedDB === 'undefined' && !info.thumbprint.startsWith('card:')) {
    button.disabled = true;
    setStatus(
      'This browser cannot reach the key it kept for this request ' +
        '(IndexedDB is switched off). Use the download links instead.',
      'error',
    );
    return;
  }
  let record: KeyRecord | undefined;
  let handle: string | null = info.thumbprint || null;
  if (typeof indexedDB !== 'undefined') {
    const store = await KeyStore.open();
    try {
      ({ handle, record } = await findRecord(store, info));
    } finally {
      store.close();
    }
  }
  const certSpki = spkiOfCertificate(issued.certificate);
  const cardRef = handle ? parseCardHandle(handle) : null;
  const reqText = info.requestId !== null ? `request ${info.requestId}` : 'this request';

  if (record && certSpki && !sameBytes(record.spki, certSpki)) {
    showInstallPart('none');
    button.disabled = true;
    setStatus(
      `The key this browser kept for ${reqText} does not belong to the issued ` +
        'certificate, so nothing was installed. Use the download links instead.',
      'error',
    );
    return;
  }

  if (record?.provider === 'card' || (!record && cardRef)) {
    showInstallPart('card');
    const pin = pinField(button);
    const agentField = byId<HTMLInputElement>('tbAgentUrl');
    if (agentField && record?.provider === 'card' && agentField.value === agentField.defaultValue)
      agentField.value = record.agentUrl;
    // No record of where the key was made (another browser's request): the address this browser last used.
    else if (record?.provider !== 'card') restoreAgentUrl();
    const serial = record?.provider === 'card' ? record.card.serial : cardRef!.serial;
    const label = record?.provider === 'card' ? record.card.label : serial;
    const forWhom = record?.target ? ` (${record.target}'s card)` : '';
    setStatus(
      `The key for ${reqText} is on the smart card "${label}"${forWhom}. Insert ` +
        'the card, enter its PIN and choose Install to write the certificate onto it.',
      'info',
    );
    button.addEventListener(
      'click',
      () =>
        void installOnCard(button, pin, issued, record, serial).then((ok) =>
          ok ? reportInstalled(info.requestId) : undefined,
        ),
    );
    document.body.dataset.ready = 'true';
    return;
  }

  if (record?.provider !== 'browser') {
    showInstallPart('none');
    button.disabled = true;
    setStatus(
      `This browser does not hold the private key for ${reqText}. Install the certificate ` +
        'from the browser where you made the request, or use the download links.',
      'error',
    );
    document.body.dataset.ready = 'true';
    return;
  }
  const browserRecord = record;
  showInstallPart('browser');
  if (record.target)
    setStatus(
      `This certificate was issued for ${record.target}. Choose a password, save ` +
        `the file, and give the file and the password to ${record.target} separately.`,
      'info',
    );
  button.addEventListener(
    'click',
    () =>
      void installPkcs12(button, issued, browserRecord).then((ok) =>
        ok ? reportInstalled(info.requestId) : undefined,
      ),
  );
  document.body.dataset.ready = 'true';
}

async function installPkcs12(
  button: HTMLButtonElement,
  issued: IssuedData,
  record: KeyRecord & { provider: 'browser' },
): Promise<boolean> {
  clearErrors();
  const pw = byId<HTMLInputElement>('tbPfxPassword');
  const pw2 = byId<HTMLInputElement>('tbPfxPassword2');
  try {
    if (!pw) throw new PageError('This page has no password field for the PKCS#12 file; reload it.');
    if (!pw.value) throw new PageError('Choose a password to protect the certificate file (.p12).', 'tbPfxPassword');
    if (pw.value.length < MIN_PFX_PASSWORD)
      throw new PageError(
        `The password must have at least ${MIN_PFX_PASSWORD} characters: it protects your private key.`,
        'tbPfxPassword',
      );
    if (pw2 && pw2.value !== pw.value) throw new PageError('The two passwords do not match.', 'tbPfxPassword2');
  } catch (e) {
    showFailure(e, 'checking the password');
    return false;
  }
  setBusy(button, true);
  let keepDisabled = false;
  try {
    setStatus('Building the certificate file in this browser…', 'working');
    const pkcs8 = await unsealPrivateKey(record.key);
    const friendly = record.friendlyName || `${record.templateDisplay} Certificate`;
    const p12 = await buildPkcs12({
      privateKey: pkcs8,
      certificate: issued.certificate,
      chain: issued.chain,
      friendlyName: friendly,
      password: pw!.value,
    });
    pkcs8.fill(0);
    const name = p12FileName(friendly);
    download(p12, name);
    pw!.value = '';
    if (pw2) pw2.value = '';
    if (!record.exportable) {
      const store = await KeyStore.open();
      try {
        await store.delete(record.handle);
      } finally {
        store.close();
      }
      keepDisabled = true;
      setStatus(
        `Saved ${name}. Open it to install the certificate and its key (you will need the ` +
          'password). The key was not marked exportable, so this browser no longer keeps it.',
        'success',
      );
    } else {
      setStatus(
        `Saved ${name}. Open it to install the certificate and its key (you will need the ` +
          'password). The key is marked exportable, so you can save the file again from this page.',
        'success',
      );
    }
    document.body.dataset.installed = 'pkcs12';
    return true;
  } catch (e) {
    showFailure(e, 'building the certificate file');
    return false;
  } finally {
    setBusy(button, false);
    if (keepDisabled) button.disabled = true;
  }
}

async function installOnCard(
  button: HTMLButtonElement,
  pin: HTMLInputElement,
  issued: IssuedData,
  record: KeyRecord | undefined,
  serial: string,
): Promise<boolean> {
  clearErrors();
  if (!pin.value) {
    fieldError('tbPin', 'Enter the smart card PIN.');
    return false;
  }
  setBusy(button, true);
  let installed = false;
  try {
    let url =
      byId<HTMLInputElement>('tbAgentUrl')?.value.trim() || (record?.provider === 'card' ? record.agentUrl : '');
    if (!url) {
      try {
        url = localStorage.getItem(AGENT_URL_KEY) ?? '';
      } catch {
        url = '';
      }
    }
    const client = new CardAgentClient(url || 'http://127.0.0.1:8399', location.origin);
    const friendlyName =
      record?.friendlyName || `${record?.templateDisplay || issued.templateName || 'Smart card'} Certificate`;
    setStatus('Writing the certificate onto the smart card…', 'working');
    const r = await client.install({ serial, pin: pin.value, certificate: issued.certificate, friendlyName });
    pin.value = '';
    installed = true;
    if (typeof indexedDB !== 'undefined' && record) {
      const store = await KeyStore.open();
      try {
        await store.delete(record.handle);
      } finally {
        store.close();
      }
    }
    setStatus(
      r.alreadyPresent
        ? `The certificate was already on the smart card "${r.card.label}" (serial ${r.card.serial}) as "${r.label}".`
        : `Installed on the smart card "${r.card.label}" (serial ` +
            `${r.card.serial}) as "${r.label}", next to its key (ID ${r.id}).`,
      'success',
    );
    document.body.dataset.installed = 'card';
    return true;
  } catch (e) {
    if (e instanceof CardAgentError) {
      // The agent address is not on this page: say it in the status line.
      const field = e.field === 'lbCard' ? null : e.field === 'tbAgentUrl' && !byId('tbAgentUrl') ? null : e.field;
      if (field) fieldError(field, e.message);
      setStatus(e.message, 'error');
    } else showFailure(e, 'installing the certificate on the smart card');
    return false;
  } finally {
    setBusy(button, false);
    if (installed) button.disabled = true;
  }
}

export async function initPending(): Promise<void> {
  const info = resultInfo();
  if (!info.thumbprint || info.requestId === null || typeof indexedDB === 'undefined') return;
  const store = await KeyStore.open();
  try {
    const record = await store.get(info.thumbprint);
    await store.linkRequest(info.requestId, info.thumbprint);
    if (record) {
      setStatus(
        record.provider === 'card'
          ? `The key for request ${info.requestId} is on the smart card "${record.card.label}". When ` +
              'the certificate is issued, check its status from this browser to install it on the card.'
          : `This browser keeps the key for request ${info.requestId}. When the ` +
              'certificate is issued, check its status from this browser to install it.',
        'info',
      );
    }
  } finally {
    store.close();
  }
  document.body.dataset.ready = 'true';
}

/** Denied or failed: the key made for this request will never get a certificate. */
export async function initRefused(): Promise<void> {
  const info = resultInfo();
  if (!info.thumbprint || typeof indexedDB === 'undefined') return;
  const store = await KeyStore.open();
  try {
    const record = await store.get(info.thumbprint);
    if (record?.provider === 'browser') await store.delete(record.handle);
    else if (record?.provider === 'card') {
      await store.delete(record.handle);
      setStatus(
        `The key created on the smart card "${record.card.label}" for this request is no ` +
          `longer needed (key ID ${record.keyId}); remove it with the card tools if you wish.`,
        'info',
      );
    }
  } finally {
    store.close();
  }
  document.body.dataset.ready = 'true';
}
