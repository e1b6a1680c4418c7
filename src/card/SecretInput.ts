/**
 * PINs, administrator keys and passwords for the card commands: one per line from
 * standard input (`--pin-stdin`, `--password-stdin`; the order is in each command's
 * help), or a prompt with echo off. Never logged; never an argument, except the
 * `card create --pin/--so-pin` the issue shows, which warns.
 */
import { TesseraError } from '../errors/TesseraError.js';

export interface Prompter {
  password(opts: { fromStdin?: boolean; prompt?: string; confirm?: boolean }): Promise<string>;
  readonly stdin: NodeJS.ReadableStream;
}

export class SecretInput {
  #lines: string[] = [];
  #partial = '';
  #ended = false;
  #waiters: (() => void)[] = [];
  #attached = false;

  constructor(private readonly prompter: Prompter) {}

  #attach(): void {
    if (this.#attached) return;
    this.#attached = true;
    const s = this.prompter.stdin;
    const wake = () => {
      const w = this.#waiters;
      this.#waiters = [];
      for (const f of w) f();
    };
    s.on('data', (chunk: Buffer | string) => {
      this.#partial += chunk.toString();
      let nl = this.#partial.indexOf('\n');
      while (nl >= 0) {
        this.#lines.push(this.#partial.slice(0, nl).replace(/\r$/, ''));
        this.#partial = this.#partial.slice(nl + 1);
        nl = this.#partial.indexOf('\n');
      }
      wake();
    });
    s.on('end', () => {
      if (this.#partial) this.#lines.push(this.#partial.replace(/\r$/, ''));
      this.#partial = '';
      this.#ended = true;
      wake();
    });
    s.on('error', () => {
      this.#ended = true;
      wake();
    });
    (s as NodeJS.ReadStream).resume?.();
  }

  /** The next line of standard input. */
  async line(what: string): Promise<string> {
    this.#attach();
    while (!this.#lines.length && !this.#ended) await new Promise<void>((r) => this.#waiters.push(r));
    const v = this.#lines.shift();
    if (v === undefined || v === '')
      throw new TesseraError('INPUT_INVALID', `expected ${what} on the next line of standard input`);
    return v;
  }

  /** From stdin when `fromStdin`, else a prompt (an empty answer is a cancel). */
  async get(what: string, fromStdin: boolean, opts: { confirm?: boolean } = {}): Promise<string> {
    if (fromStdin) return this.line(what);
    const v = await this.prompter.password({
      prompt: `${what[0].toUpperCase()}${what.slice(1)}: `,
      confirm: opts.confirm,
    });
    if (!v) throw new TesseraError('CARD_CANCELLED', `no ${what} entered`);
    return v;
  }

  /** Stop reading standard input so the process can exit. */
  close(): void {
    if (this.#attached) (this.prompter.stdin as NodeJS.ReadStream).pause?.();
  }
}
