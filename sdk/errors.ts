import type { ExecResult } from './command';
import type { ErrorCode } from '../lib/errors';

/** Base of every error the SDK throws for a failed API call; `code` is the API's error code. */
export class SbxError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status: number,
    readonly field: string | undefined,
    readonly requestId: string | undefined,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request was malformed; `field` names what to fix. */
export class InvalidArgumentError extends SbxError {}
/** No or bad credentials (API key missing, revoked or expired). */
export class AuthenticationError extends SbxError {}
/** The credentials are fine but their role does not allow this. */
export class PermissionDeniedError extends SbxError {}
export class NotFoundError extends SbxError {}
export class ConflictError extends SbxError {}
/** Too many attempts, or an account locked after failed sign-ins. */
export class RateLimitedError extends SbxError {}
/** The appliance cannot serve now (including: the change could not be audited, so it was not made). */
export class UnavailableError extends SbxError {}
export class InternalError extends SbxError {}
/** No connected host has room (or the labels asked for) for a sandbox now; try again later. */
export class NoCapacityError extends UnavailableError {}
/** Something did not finish in time: a command past its `timeoutMs`, or a host that did not answer. */
export class TimeoutError extends SbxError {}
/** A command was killed at its `timeoutMs`; `result` holds what it printed until then. */
export class CommandTimeoutError extends TimeoutError {
  constructor(
    message: string,
    readonly result: ExecResult,
  ) {
    super('timeout', message, 200, undefined, undefined);
  }
}
/** The sandbox passed its memory limit and was ended ("failed: memory limit exceeded"). */
export class MemoryLimitExceededError extends SbxError {}
/** The sandbox's disk (its `diskMiB`) is full. */
export class DiskFullError extends SbxError {}

type ErrorClass = new (...args: ConstructorParameters<typeof SbxError>) => SbxError;

const classByCode: Record<ErrorCode, ErrorClass> = {
  invalid_argument: InvalidArgumentError,
  unauthenticated: AuthenticationError,
  permission_denied: PermissionDeniedError,
  not_found: NotFoundError,
  conflict: ConflictError,
  locked: RateLimitedError,
  rate_limited: RateLimitedError,
  audit_unavailable: UnavailableError,
  unavailable: UnavailableError,
  no_capacity: NoCapacityError,
  timeout: TimeoutError,
  memory_limit_exceeded: MemoryLimitExceededError,
  disk_full: DiskFullError,
  internal: InternalError,
};

/** The one mapping from the API's error codes to SDK error classes. */
export function sbxErrorFor(code: ErrorCode, message: string, status: number, field?: string, requestId?: string): SbxError {
  return new classByCode[code](code, message, status, field, requestId);
}
