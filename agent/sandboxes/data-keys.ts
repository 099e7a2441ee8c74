import type { agentMethods, controlMethods } from '../../lib/wire/protocol';
import type { RpcPeer } from '../../lib/wire/rpc';
import type { DataKeys } from './paused-images';

type Peer = RpcPeer<typeof agentMethods, typeof controlMethods>;

/**
 * Data keys from the control plane over the mTLS channel, one per object: KEKs never leave it, it
 * checks that the sandbox is this agent's and records every key it hands out or unwraps. The clear
 * key lives in this agent's memory only while one object is encrypted or decrypted.
 */
export function keysVia(peer: Peer): DataKeys {
  return {
    async issue(sandboxId, context) {
      const r = await peer.call('keys.issue', { sandboxId, context }, 30_000);
      return { dataKey: Buffer.from(r.dataKey, 'base64'), kek: r.kek, wrappedKey: r.wrappedKey };
    },
    async rewrap(sandboxId, header) {
      return peer.call('keys.rewrap', { sandboxId, context: header.context, kek: header.kek, wrappedKey: header.wrappedKey }, 30_000);
    },
    async unwrap(sandboxId, header) {
      const r = await peer.call('keys.unwrap', { sandboxId, context: header.context, kek: header.kek, wrappedKey: header.wrappedKey }, 30_000);
      return Buffer.from(r.dataKey, 'base64');
    },
  };
}
