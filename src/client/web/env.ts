/** What the browser must offer before the page creates a key. */

export function webCryptoProblem(): string | null {
  if (typeof globalThis.isSecureContext === 'boolean' && !globalThis.isSecureContext) {
    return (
      'This page was not opened over HTTPS, so the browser will not ' +
      'create keys here. Open the enrollment site with https://.'
    );
  }
  if (!globalThis.crypto?.subtle || typeof globalThis.crypto.subtle.generateKey !== 'function') {
    return (
      'This web browser does not support the generation of certificate requests: it has ' +
      'no Web Cryptography API. Use a current version of Chrome, Edge, Firefox or Safari.'
    );
  }
  return null;
}

export function keyStorageProblem(): string | null {
  if (typeof indexedDB === 'undefined') {
    return (
      'This browser cannot keep the new key until the certificate is issued (IndexedDB is switched ' +
      'off, for example in a private window). Use a normal window, or choose the smart card provider.'
    );
  }
  return null;
}
