import { z } from 'zod';

/**
 * The one error vocabulary of the appliance. Every failure a user can see carries one of these
 * codes; the HTTP status and the SDK error class are derived from the code, never chosen ad hoc.
 */
export const errorCodes = [
  'invalid_argument',
  'unauthenticated',
  'permission_denied',
  'not_found',
  'conflict',
  'locked',
  'rate_limited',
  'audit_unavailable',
  'unavailable',
  'no_capacity',
  'timeout',
  'memory_limit_exceeded',
  'disk_full',
  'internal',
] as const;

export const ErrorCode = z.enum(errorCodes);
export type ErrorCode = z.infer<typeof ErrorCode>;

const statusByCode: Record<ErrorCode, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  conflict: 409,
  locked: 423,
  rate_limited: 429,
  audit_unavailable: 503,
  unavailable: 503,
  no_capacity: 503,
  timeout: 504,
  memory_limit_exceeded: 409,
  disk_full: 507,
  internal: 500,
};

/** The HTTP status that answers an error of this code. */
export function httpStatusOf(code: ErrorCode): number {
  return statusByCode[code];
}

/** The one error shape every API answer uses: `{ "error": { code, message, field?, requestId } }`. */
export const ErrorBody = z.object({
  error: z.object({
    code: ErrorCode,
    message: z.string(),
    field: z.string().optional(),
    requestId: z.string(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** A failure with a code and a message a user can act on; `field` names the offending input. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.field = field;
  }
}

/** Turns a zod failure into an `invalid_argument` error naming the first bad field. */
export function fromZodError(error: z.ZodError, prefix?: string): AppError {
  const issue = error.issues[0];
  if (!issue) return new AppError('invalid_argument', 'The request is not valid.');
  const path = issue.path.map(String).join('.');
  const field = [prefix, path].filter((p) => p && p.length > 0).join('.') || undefined;
  const what = describeIssue(issue);
  return new AppError('invalid_argument', field ? `${field}: ${what}` : what, field);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'unrecognized_keys':
      return `unknown field(s) ${issue.keys.join(', ')}`;
    case 'invalid_key':
    case 'invalid_element': {
      // The record key or map element itself failed: say what was expected of it.
      const inner = issue.issues[0];
      return inner ? describeIssue(inner) : issue.message;
    }
    default:
      return issue.message;
  }
}
