import type { z } from 'zod';
import type { TransferHandlers } from '../../lib/wire/transfer';
import type { ControlMethod, controlMethods } from '../../lib/wire/protocol';

/** What the rest of the control plane may ask of the open agent channels. */
export interface AgentChannels {
  connectedIds(): string[];
  isConnected(agentId: string): boolean;
  /** Closes an agent's channel; true when one was open. */
  disconnect(agentId: string, code: number, reason: string): boolean;
  /** Sends a request to an agent and resolves with its acknowledged result. */
  call<K extends ControlMethod>(
    agentId: string,
    method: K,
    params: z.infer<(typeof controlMethods)[K]['params']>,
    timeoutMs?: number,
  ): Promise<z.infer<(typeof controlMethods)[K]['result']>>;
  /** Reloads revoked serials into the deny list and the handshake's CRL. */
  refreshRevocations(): Promise<void>;
  /** The current signed CRL (PEM). */
  crlPem(): string;
  /** Receives the output an agent streams for one exec, until the returned function is called. */
  onExecOutput(agentId: string, execId: string, handler: (stream: 'stdout' | 'stderr', data: Buffer) => void): () => void;
  /** Receives the transfer events an agent sends for one transfer, until the returned function is called. */
  onTransfer(agentId: string, transferId: string, handlers: TransferHandlers): () => void;
  /** Sends a one-way message (a transfer's chunk or credit) to an agent; false when it is not connected. */
  emit(agentId: string, topic: string, payload: unknown): boolean;
}

/** Stands in until the gateway is listening: nothing is connected. */
export const noChannels: AgentChannels = {
  connectedIds: () => [],
  isConnected: () => false,
  disconnect: () => false,
  call: () => Promise.reject(new Error('the agent gateway is not running')),
  refreshRevocations: async () => undefined,
  crlPem: () => '',
  onExecOutput: () => () => undefined,
  onTransfer: () => () => undefined,
  emit: () => false,
};
