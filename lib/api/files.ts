import { z } from 'zod';
import { FileEntry } from '../wire/protocol';
import { SANDBOX_HOME } from './sandboxes';

/**
 * A path as a user gives it, made absolute inside the sandbox: relative paths start at the sandbox
 * user's home; `.` and `..` are resolved (never above `/`).
 */
export function resolveSandboxPath(p: string, home = SANDBOX_HOME): string {
  const out: string[] = [];
  for (const part of (p.startsWith('/') ? p : `${home}/${p}`).split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

const PathInput = z
  .string()
  .min(1, 'expected a path')
  .max(4096, 'expected at most 4096 characters')
  .refine((p) => !p.includes('\0'), 'expected no NUL byte')
  .transform((p) => resolveSandboxPath(p));

/** `?path=` of `/api/v1/sandboxes/{id}/files` (GET reads, PUT writes the raw body) and `/files/list`. */
export const FilePathQuery = z.strictObject({ path: PathInput });

/** `DELETE /api/v1/sandboxes/{id}/files?path=...&recursive=true`. */
export const RemoveFileQuery = z.strictObject({
  path: PathInput,
  recursive: z.enum(['true', 'false'], { message: 'expected true or false' }).default('false').transform((v) => v === 'true'),
});

/** `POST /api/v1/sandboxes/{id}/files/mkdir`: makes the directory and any missing parents. */
export const MakeDirectoryBody = z.strictObject({ path: PathInput });

/** The answer to an upload: what arrived, as the control plane and the agent both counted it. */
export const FileWritten = z.object({ path: z.string(), size: z.number().int().nonnegative(), sha256: z.string() });
export type FileWritten = z.infer<typeof FileWritten>;

export const FileList = z.object({ path: z.string(), entries: z.array(FileEntry) });
export type FileList = z.infer<typeof FileList>;

export { FileEntry };
