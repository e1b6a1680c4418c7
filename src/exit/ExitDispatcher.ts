import type { ExitEvent, ExitModule } from './ExitModule.js';

export interface ExitLogger {
  warn(obj: object, msg: string): void;
}

/** Delivers events to every exit module after commit; retries a failing one a few times. */
export class ExitDispatcher {
  readonly #modules: ExitModule[] = [];

  constructor(
    private readonly log: ExitLogger = { warn: () => {} },
    private readonly retries = 3,
    private readonly backoffMs = 200,
  ) {}

  register(m: ExitModule): void {
    this.#modules.push(m);
  }

  /** Fire and forget: the caller's response never waits on an exit module. */
  emit(event: ExitEvent): void {
    for (const m of this.#modules) void this.#deliver(m, event, 0);
  }

  async #deliver(m: ExitModule, event: ExitEvent, attempt: number): Promise<void> {
    try {
      await m.notify(event);
    } catch (e) {
      if (attempt + 1 >= this.retries) {
        this.log.warn({ exit: m.name, event: event.kind, err: (e as Error).message }, 'exit module failed; giving up');
        return;
      }
      this.log.warn(
        { exit: m.name, event: event.kind, attempt, err: (e as Error).message },
        'exit module failed; retrying',
      );
      await new Promise((r) => setTimeout(r, this.backoffMs * 2 ** attempt).unref());
      return this.#deliver(m, event, attempt + 1);
    }
  }
}
