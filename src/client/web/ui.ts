/**
 * Messages in the page: one status line (`#status`, role=status, aria-live=polite) and
 * errors next to the field they are about (aria-invalid + aria-describedby, role=alert).
 * Never a stack trace: unexpected failures become one plain sentence.
 */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T | null {
  return document.getElementById(id) as T | null;
}

export function mustId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = byId<T>(id);
  if (!el) throw new PageError(`This page is missing the element #${id}; reload it or contact your administrator.`);
  return el;
}

/** A failure whose message is written for the user. */
export class PageError extends Error {
  constructor(
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = 'PageError';
  }
}

function statusElement(): HTMLElement {
  let el = byId('status');
  if (!el) {
    el = document.createElement('div');
    el.id = 'status';
    el.setAttribute('role', 'status');
    el.setAttribute('aria-live', 'polite');
    (document.querySelector('main') ?? document.body).prepend(el);
  }
  return el;
}

export type StatusKind = 'info' | 'working' | 'success' | 'error';

export function setStatus(message: string, kind: StatusKind = 'info'): void {
  const el = statusElement();
  el.textContent = message;
  el.dataset.kind = kind;
  el.classList.toggle('error', kind === 'error');
}

/** Where a field's error goes: after the field, or after the group (fieldset/radio group) holding it. */
function anchorFor(field: HTMLElement): HTMLElement {
  if (field instanceof HTMLInputElement && (field.type === 'radio' || field.type === 'checkbox')) {
    return (field.closest('fieldset, [role="radiogroup"], .field') as HTMLElement | null) ?? field;
  }
  return field;
}

export function fieldError(id: string, message: string, focus = true): void {
  const field = byId(id) ?? (document.querySelector(`[name="${CSS.escape(id)}"]`) as HTMLElement | null);
  if (!field) {
    setStatus(message, 'error');
    return;
  }
  const errId = `${field.id || id}-error`;
  let err = byId(errId);
  if (!err) {
    err = document.createElement('p');
    err.id = errId;
    err.className = 'field-error error';
    err.dataset.for = field.id || id;
    err.setAttribute('role', 'alert');
    anchorFor(field).insertAdjacentElement('afterend', err);
  }
  err.textContent = message;
  field.setAttribute('aria-invalid', 'true');
  const described = new Set((field.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean));
  described.add(errId);
  field.setAttribute('aria-describedby', [...described].join(' '));
  if (focus && typeof field.focus === 'function') field.focus();
}

export function clearFieldError(id: string): void {
  const field = byId(id);
  const err = byId(`${id}-error`);
  err?.remove();
  if (field) {
    field.removeAttribute('aria-invalid');
    const rest = (field.getAttribute('aria-describedby') ?? '').split(/\s+/).filter((x) => x && x !== `${id}-error`);
    if (rest.length) field.setAttribute('aria-describedby', rest.join(' '));
    else field.removeAttribute('aria-describedby');
  }
}

export function clearErrors(): void {
  for (const el of Array.from(document.querySelectorAll<HTMLElement>('.field-error[data-for]')))
    clearFieldError(el.dataset.for!);
  const s = byId('status');
  if (s?.dataset.kind === 'error') setStatus('');
}

/** Show any failure: a PageError where it belongs, anything else as one plain sentence. */
export function showFailure(e: unknown, doing: string): void {
  if (e instanceof PageError || (e instanceof Error && 'field' in e)) {
    const field = (e as { field: string | null }).field;
    if (field) fieldError(field, e.message);
    setStatus(e.message, 'error');
    return;
  }
  // For developers only; the page shows no stack trace.
  console.error(e);
  const name = e instanceof DOMException ? ` (${e.name})` : '';
  setStatus(
    `Something went wrong while ${doing}${name}. Reload the page ` +
      'and try again; if it happens again, contact your administrator.',
    'error',
  );
}

export function setBusy(button: HTMLButtonElement | null, busy: boolean): void {
  if (!button) return;
  button.disabled = busy;
  button.setAttribute('aria-busy', String(busy));
  document.body.toggleAttribute('data-busy', busy);
}

export function radioValue(name: string): string | null {
  return (
    (document.querySelector<HTMLInputElement>(`input[type="radio"][name="${CSS.escape(name)}"]:checked`) ?? null)
      ?.value ?? null
  );
}

export function radios(name: string): HTMLInputElement[] {
  return Array.from(document.querySelectorAll<HTMLInputElement>(`input[type="radio"][name="${CSS.escape(name)}"]`));
}

export function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf"]')?.content ?? '';
}

/** Set a hidden input of the SubmittedData form, creating it when the page lacks it. */
export function setHidden(form: HTMLFormElement, name: string, value: string): void {
  let input = form.elements.namedItem(name) as HTMLInputElement | null;
  if (!input) {
    input = document.createElement('input');
    input.type = 'hidden';
    input.name = name;
    form.append(input);
  }
  input.value = value;
}
