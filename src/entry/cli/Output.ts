/** Table output for people, JSON for scripts (`--json`). */
export type Column<T> = { readonly header: string; readonly value: (row: T) => unknown };

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (Array.isArray(v)) return v.map(cell).join(', ');
  return String(v);
}

export class Output {
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly json: () => boolean,
  ) {}

  line(text = ''): void {
    this.stream.write(`${text}\n`);
  }

  /** Bytes or text exactly as given (e.g. `cert export --format der` to standard output). */
  write(data: string | Uint8Array): void {
    this.stream.write(data);
  }

  /** A value for scripts; in table mode, `human` prints it (a string: as one line). */
  result(value: unknown, human?: (() => void) | string): void {
    if (this.json() || human === undefined) this.stream.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
    else if (typeof human === 'string') this.line(human);
    else human();
  }

  table<T>(rows: readonly T[], columns: readonly Column<T>[], jsonRows: unknown = rows): void {
    if (this.json()) {
      this.stream.write(`${JSON.stringify(jsonRows, jsonReplacer, 2)}\n`);
      return;
    }
    const data = rows.map((r) => columns.map((c) => cell(c.value(r))));
    const widths = columns.map((c, i) => Math.max(c.header.length, ...data.map((d) => d[i].length)));
    const fmt = (cells: string[]) =>
      cells
        .map((s, i) => (i === cells.length - 1 ? s : s.padEnd(widths[i])))
        .join('  ')
        .trimEnd();
    this.line(fmt(columns.map((c) => c.header)));
    this.line(fmt(widths.map((w) => '-'.repeat(w))));
    for (const d of data) this.line(fmt(d));
    if (rows.length === 0) this.line('(none)');
  }

  /** Key: value lines. */
  fields(pairs: readonly [string, unknown][], jsonValue?: unknown): void {
    if (this.json()) {
      this.stream.write(`${JSON.stringify(jsonValue ?? Object.fromEntries(pairs), jsonReplacer, 2)}\n`);
      return;
    }
    const w = Math.max(...pairs.map(([k]) => k.length));
    for (const [k, v] of pairs) this.line(`${(`${k}:`).padEnd(w + 1)} ${cell(v)}`);
  }
}

/** A `fields` pair only when the value is there: not null, undefined, empty or an empty list. */
export function optionalField(label: string, value: unknown): [string, unknown][] {
  return (Array.isArray(value) ? value.length : value) ? [[label, value]] : [];
}

/** Buffers print as base64 and Dates as ISO in JSON output. */
export function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (Buffer.isBuffer(raw)) return raw.toString('base64');
  if (
    value &&
    typeof value === 'object' &&
    (value as { type?: string }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data)
  ) {
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  }
  return value;
}
