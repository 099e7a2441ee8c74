/** The appliance's TypeScript SDK. */
export { Sandbox, type CreateOptions, type ExecOptions } from './sandbox';
export { CommandHandle, type ExecResult, type OutputCallbacks } from './command';
export type { CommandView, SandboxView } from '../lib/api/sandboxes';
export { SbxClient, type ClientOptions } from './client';
export * from './errors';
export { SandboxFiles } from './files';
export type { FileEntry, FileWritten } from '../lib/api/files';
export { exportAudit, verifyBundleFile, type BundleVerdict, type ExportView } from './audit';
