import type { ErrorCode } from '../errors/registry.js';

/** Thrown by a policy check to end evaluation with a denial; caught by verifyRequest. */
export class PolicyDenial {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
  ) {}
}
