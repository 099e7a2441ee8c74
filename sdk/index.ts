/** The appliance's TypeScript SDK. */
export { Sandbox, type CreateOptions, type ExecOptions, type ExecResult } from './sandbox';
export { SbxClient, type ClientOptions } from './client';
export * from './errors';
export { SandboxFiles } from './files';
export type { FileEntry, FileWritten } from '../lib/api/files';
