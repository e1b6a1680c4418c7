/**
 * A tiny HTML templating helper: interpolated values are escaped unless they are
 * `SafeHtml` (the result of `html` itself or `raw`). Our own markup; the only AD CS text
 * kept is the short strings and line shapes clients parse (docs/certsrv.md §5).
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function render(v: unknown): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}

/** Markup we built ourselves and vouch for (used for the AD CS-shaped lines). */
export const raw = (s: string): SafeHtml => new SafeHtml(s);
