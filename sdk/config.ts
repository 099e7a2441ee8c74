import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { InvalidArgumentError } from './errors';

/** Where the SDK finds the appliance: explicit options, then the environment, then the config file. */
export type ClientOptions = {
  /** The console URL, e.g. https://sandbox.example.com:8443 (env SBX_URL). */
  url?: string;
  /** An API key, `sbx_<id>_<secret>` (env SBX_API_KEY). */
  apiKey?: string;
  /** PEM file of the appliance's CA (env SBX_CA_FILE); without it the system's trust store is used. */
  caFile?: string;
};

const FileConfig = z.object({ url: z.string().optional(), apiKey: z.string().optional(), caFile: z.string().optional() });

/** The config file: $SBX_CONFIG, else ~/.config/sbx/config.json. */
export function configFilePath(env: Record<string, string | undefined> = process.env): string {
  return env.SBX_CONFIG ?? path.join(os.homedir(), '.config', 'sbx', 'config.json');
}

const Bootstrap = z.object({ consoleUrl: z.string(), caCertificate: z.string(), developerApiKey: z.string().optional() });

/**
 * On the appliance host itself, the first start's bootstrap.json (in SBX_DATA_DIR, else ./data)
 * names the console, its CA and a developer API key; it is the last place looked in.
 */
function fromBootstrap(env: Record<string, string | undefined>): { url?: string; apiKey?: string; caFile?: string } {
  const file = path.join(env.SBX_DATA_DIR || path.join(process.cwd(), 'data'), 'bootstrap.json');
  try {
    const b = Bootstrap.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
    return { url: b.consoleUrl, apiKey: b.developerApiKey, caFile: b.caCertificate };
  } catch {
    return {};
  }
}

export function resolveOptions(opts: ClientOptions, env: Record<string, string | undefined> = process.env) {
  const file = configFilePath(env);
  let fromFile: z.infer<typeof FileConfig> = {};
  if (fs.existsSync(file)) {
    const parsed = FileConfig.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (!parsed.success) throw new InvalidArgumentError('invalid_argument', `${file}: expected { url, apiKey, caFile }`, 0, 'config', undefined);
    fromFile = parsed.data;
  }
  // An empty setting counts as unset, so `SBX_URL= sbx ...` falls through to the file.
  const pick = (...values: (string | undefined)[]) => values.find((v) => v !== undefined && v !== '');
  const given = pick(opts.url, env.SBX_URL, fromFile.url);
  // The local key and CA are used only for the local appliance, never sent to another URL.
  const bootstrap = fromBootstrap(env);
  const local = !given || given.replace(/\/$/, '') === bootstrap.url ? bootstrap : {};
  const url = given ?? local.url;
  const apiKey = pick(opts.apiKey, env.SBX_API_KEY, fromFile.apiKey, local.apiKey);
  const caFile = pick(opts.caFile, env.SBX_CA_FILE, fromFile.caFile, local.caFile);
  if (!url) throw new InvalidArgumentError('invalid_argument', `no appliance URL: pass --url, set SBX_URL or write it to ${file}`, 0, 'url', undefined);
  if (!apiKey) throw new InvalidArgumentError('invalid_argument', `no API key: set SBX_API_KEY or write apiKey to ${file}`, 0, 'apiKey', undefined);
  return { url: url.replace(/\/$/, ''), apiKey, ca: caFile ? fs.readFileSync(caFile, 'utf8') : undefined };
}

