/**
 * What every CLI command gets: the data directory, output mode, a lazily opened Tessera,
 * the acting identity, and password input that never comes from an argument.
 */
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { resolveDataDir } from '../../config/dataPaths.js';
import { TesseraError } from '../../errors/TesseraError.js';
import type { Actor } from '../../ra/Actor.js';
import { Tessera, type OpenOptions } from '../../Tessera.js';
import { Output } from './Output.js';

export interface GlobalOptions {
  readonly data?: string;
  readonly json?: boolean;
}

/**
 * What commander passes an action: its arguments (strings, or what their parsers return),
 * the command's options and the Command itself. Commander types these loosely; so do we.
 */
type ActionArgs = Parameters<Parameters<Command['action']>[0]>;

export class CliContext {
  #tessera: Tessera | undefined;
  #issuingLoaded = false;
  #globals: (() => GlobalOptions) | undefined;
  readonly #fixedGlobals: boolean;
  readonly out: Output;
  /**
   * The exit status a command chose for an outcome that is not an error (e.g. 3 when
   * `request submit` ends denied; docs/cli.md "Exit statuses"). Errors still exit 1.
   */
  exitStatus = 0;

  /**
   * `globals` may be left undefined when the context is made before the program (tests
   * capturing output); buildProgram then attaches the program's own options.
   */
  constructor(
    globals: (() => GlobalOptions) | undefined,
    readonly stdin: NodeJS.ReadableStream = process.stdin,
    readonly stdout: NodeJS.WritableStream = process.stdout,
    readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {
    this.#globals = globals;
    this.#fixedGlobals = globals !== undefined;
    this.out = new Output(stdout, () => this.json);
  }

  /** Called by buildProgram on every run, so a context made without globals can be reused. */
  attach(globals: () => GlobalOptions): void {
    if (!this.#fixedGlobals) this.#globals = globals;
  }

  private get globals(): GlobalOptions {
    return this.#globals?.() ?? {};
  }

  get dataDir(): string {
    return resolveDataDir(this.globals.data);
  }

  get json(): boolean {
    return !!this.globals.json;
  }

  /**
   * Open the data directory once per command; closed by `close()` when the command ends.
   * The issuing key is loaded on first need, even when an earlier call (e.g. resolving
   * `--as`) opened the directory without it.
   */
  async tessera(opts: OpenOptions = { withIssuingKey: false }): Promise<Tessera> {
    // The CLI is also the repair tool: it opens a data directory whose stored templates are
    // invalid (the server does not), so `tessera template set` can fix them.
    this.#tessera ??= await Tessera.open(this.dataDir, { checkTemplates: false, ...opts, withIssuingKey: false });
    if (opts.withIssuingKey !== false && !this.#issuingLoaded) {
      await this.#tessera.loadIssuingCa();
      this.#issuingLoaded = true;
    }
    return this.#tessera;
  }

  /**
   * A command action on the data directory, opened as `tessera()` does by default (without
   * the issuing key): `fn` gets it before commander's arguments and options.
   */
  withTessera(fn: (t: Tessera, ...args: ActionArgs) => Promise<void>): (...args: ActionArgs) => Promise<void> {
    return async (...args) => fn(await this.tessera(), ...args);
  }

  /**
   * `--as USER` acts as that directory user (roles and separation of duties apply);
   * without it, the local administrator, named after the OS account.
   */
  async actor(as?: string): Promise<Actor> {
    if (!as) return { kind: 'local', name: userInfo().username, source: 'cli' };
    const t = await this.tessera();
    const user = await t.directory.findUser(as);
    if (!user) throw new TesseraError('USER_UNKNOWN', as);
    return { kind: 'user', user, source: 'cli' };
  }

  /**
   * A password from standard input (`--password-stdin`, first line) or an interactive
   * prompt with echo off. Never from an argument, where `ps` and shell history see it.
   */
  async password(opts: { fromStdin?: boolean; prompt?: string; confirm?: boolean } = {}): Promise<string> {
    if (opts.fromStdin) {
      const line = await readFirstLine(this.stdin);
      if (!line) throw new TesseraError('INPUT_INVALID', 'no password on standard input');
      return line;
    }
    if (!(this.stdin as NodeJS.ReadStream).isTTY)
      throw new TesseraError('INPUT_INVALID', 'no terminal to prompt for a password; use --password-stdin');
    const first = await prompt(opts.prompt ?? 'Password: ');
    if (opts.confirm && (await prompt('Again: ')) !== first)
      throw new TesseraError('INPUT_INVALID', 'the passwords do not match');
    return first;
  }

  async close(): Promise<void> {
    await this.#tessera?.close();
    this.#tessera = undefined;
    this.#issuingLoaded = false;
  }
}

async function readFirstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let data = '';
  for await (const chunk of stream) {
    data += chunk.toString();
    const nl = data.indexOf('\n');
    if (nl >= 0) return data.slice(0, nl).replace(/\r$/, '');
  }
  return data.replace(/\r?\n$/, '');
}

function prompt(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const w = rl as unknown as { _writeToOutput: (s: string) => void };
    const original = w._writeToOutput.bind(rl);
    let asked = false;
    // Echo the question, then nothing: the password is not shown.
    w._writeToOutput = (s: string) => {
      if (!asked) {
        original(s);
        asked = true;
      }
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}
