/**
 * The web enrollment pages' script (bundled by scripts/build.mjs into
 * dist/web/public/enroll.js, served at /certsrv/static/enroll.js). Each page says what it
 * is in `<body data-page="…">`; everything else works without JavaScript except creating
 * a key and installing into the browser or onto a card.
 */
import { initAdvanced } from './pages/advanced.js';
import { initInstallLater } from './pages/installLater.js';
import { initIssued, initPending, initRefused } from './pages/result.js';
import { initStation } from './pages/station.js';
import { showFailure } from './ui.js';

const PAGES: Record<string, () => void | Promise<void>> = {
  'request-advanced': initAdvanced,
  'enroll-station': initStation,
  'result-issued': initIssued,
  'result-pending': initPending,
  'result-denied': initRefused,
  'result-error': initRefused,
  'pending-list': initInstallLater,
};

function start(): void {
  const page = document.body?.dataset.page ?? '';
  const init = PAGES[page];
  if (!init) return;
  Promise.resolve()
    .then(init)
    .catch((e) => showFailure(e, 'preparing this page'));
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();
