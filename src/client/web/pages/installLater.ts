/**
 * "Pending / issued requests" (certckpn.asp): finish an installation that was never
 * done. The page lists the user's issued certificates with the SHA-256 of each one's
 * public key, its key identifier and its own fingerprint; the card agent lists each
 * present card's public key objects and certificates (no PIN needed). A certificate whose
 * key is on a card — same public key, or same CKA_ID when the card does not expose the
 * public key — while the certificate itself is not, gets an "Install this certificate"
 * button that writes it next to the key, as the Certificate Issued page would have.
 */
import { CardAgentClient, CardAgentError, type AgentCard } from '../cardAgent.js';
import { AGENT_URL_KEY, restoreAgentUrl } from '../enroll.js';
import { cardHandle, KeyStore } from '../keyStore.js';
import { byId, clearErrors, fieldError, setBusy, setStatus, showFailure } from '../ui.js';

interface IssuedRow {
  readonly row: HTMLTableRowElement;
  readonly requestId: number;
  readonly sha256: string;
  readonly spkiSha256: string;
  readonly keyId: string;
}

/** Where an issued certificate's key is: the card and the key's CKA_ID, and whether the certificate is there too. */
export interface KeyPlace {
  readonly card: AgentCard;
  readonly keyId: string;
  readonly installed: boolean;
}

/** The present card that holds the key of this certificate (by public key, else by CKA_ID), if any. */
export function keyPlace(
  cards: readonly AgentCard[],
  cert: { sha256: string; spkiSha256: string; keyId: string },
): KeyPlace | undefined {
  for (const card of cards) {
    const key = card.keys?.find((k) => (k.spkiSha256 ? k.spkiSha256 === cert.spkiSha256 : k.id === cert.keyId));
    if (key) return { card, keyId: key.id, installed: !!card.certificates?.some((c) => c.sha256 === cert.sha256) };
  }
  return undefined;
}

function issuedRows(): IssuedRow[] {
  return Array.from(document.querySelectorAll<HTMLTableRowElement>('table.issued tr[data-req-id]')).map((row) => ({
    row,
    requestId: Number(row.dataset.reqId),
    sha256: row.dataset.sha256 ?? '',
    spkiSha256: row.dataset.spkiSha256 ?? '',
    keyId: row.dataset.keyId ?? '',
  }));
}

function agentClient(): CardAgentClient {
  const tb = byId<HTMLInputElement>('tbAgentUrl');
  return new CardAgentClient(tb?.value || tb?.defaultValue || 'http://127.0.0.1:8399', location.origin);
}

export async function initInstallLater(): Promise<void> {
  const rows = issuedRows();
  if (!rows.length) return;
  restoreAgentUrl();
  let cards: AgentCard[];
  const client = agentClient();
  try {
    await client.status();
    cards = await client.cards();
  } catch (e) {
    // Most people have no card agent: this is information, not an error.
    const why = e instanceof CardAgentError ? ` ${e.message}` : '';
    setStatus(
      'Certificates whose key is on a smart card can be installed ' +
        `onto the card from this page while the card agent runs.${why}`,
      'info',
    );
    document.body.dataset.ready = 'true';
    return;
  }
  let offered = 0;
  for (const r of rows) {
    const place = keyPlace(cards, r);
    const cell = byId(`cardState${r.requestId}`);
    if (!place || !cell) continue;
    if (place.installed) {
      cell.textContent = `Installed on "${place.card.label}"`;
      continue;
    }
    offered++;
    cell.textContent = `Key on "${place.card.label}", certificate not installed `;
    const button = document.createElement('button');
    button.type = 'button';
    button.id = `btnInstall${r.requestId}`;
    button.textContent = 'Install this certificate';
    button.setAttribute(
      'aria-label',
      `Install the certificate of request ${r.requestId} onto the smart card "${place.card.label}"`,
    );
    button.addEventListener('click', () => void install(button, cell, client, r, place));
    cell.append(button);
  }
  if (offered) {
    const section = byId('installLater');
    if (section) section.hidden = false;
    setStatus(
      `${offered === 1 ? 'A certificate was' : `${offered} certificates were`} issued for a key on ` +
        'your smart card but never installed. Enter the card PIN and choose "Install this certificate".',
      'info',
    );
  }
  document.body.dataset.ready = 'true';
}

async function install(
  button: HTMLButtonElement,
  cell: HTMLElement,
  client: CardAgentClient,
  r: IssuedRow,
  place: KeyPlace,
): Promise<void> {
  clearErrors();
  const pin = byId<HTMLInputElement>('tbPin');
  if (!pin?.value) {
    fieldError('tbPin', 'Enter the smart card PIN.');
    return;
  }
  setBusy(button, true);
  let installed = false;
  try {
    const res = await fetch(`certnew.cer?ReqID=${r.requestId}&Enc=bin`, {
      credentials: 'same-origin',
      cache: 'no-store',
    });
    if (!res.ok) throw new Error(`certnew.cer answered ${res.status}`);
    const certificate = new Uint8Array(await res.arrayBuffer());
    // The friendly name chosen at enrollment, when this browser made the request.
    const handle = cardHandle(place.card.serial, place.keyId);
    let friendlyName: string | undefined;
    if (typeof indexedDB !== 'undefined') {
      const store = await KeyStore.open();
      try {
        const record = await store.get(handle);
        friendlyName = record?.friendlyName || (record ? `${record.templateDisplay} Certificate` : undefined);
      } finally {
        store.close();
      }
    }
    setStatus(`Writing the certificate of request ${r.requestId} onto the smart card…`, 'working');
    const done = await client.install({ serial: place.card.serial, pin: pin.value, certificate, friendlyName });
    installed = true;
    pin.value = '';
    try {
      localStorage.setItem(AGENT_URL_KEY, client.url);
    } catch {
      /* storage switched off */
    }
    if (typeof indexedDB !== 'undefined') {
      const store = await KeyStore.open();
      try {
        await store.delete(handle);
      } finally {
        store.close();
      }
    }
    cell.textContent = `Installed on "${done.card.label}"`;
    setStatus(
      `Installed the certificate of request ${r.requestId} on the smart card "${done.card.label}" ` +
        `(serial ${done.card.serial}) as "${done.label}", next to its key (ID ${done.id}).`,
      'success',
    );
    document.body.dataset.installed = String(r.requestId);
  } catch (e) {
    if (e instanceof CardAgentError) {
      if (e.field === 'tbPin' || e.field === 'tbAgentUrl') fieldError(e.field, e.message);
      setStatus(e.message, 'error');
    } else showFailure(e, 'installing the certificate on the smart card');
  } finally {
    if (!installed) setBusy(button, false);
  }
}
