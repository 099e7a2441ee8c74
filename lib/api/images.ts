/** The one sandbox image this version runs: the host's own Debian userland, read-only. */
export const DEFAULT_SANDBOX_IMAGE = 'debian-host';
