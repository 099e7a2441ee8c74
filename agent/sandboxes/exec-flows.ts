import { ExecCredit } from '../../lib/wire/protocol';
import { OutputGate } from '../runtime/output-gate';

type Flow = { gate: OutputGate; window: number; outstanding: number };

/**
 * The agent's side of the commands' output windows: each command may have `window` bytes sent and
 * not yet credited by the control plane; past that its gate shuts (the runtime stops reading the
 * command's output) until credit brings it under half the window again. So a reader that stops
 * reading holds the command back instead of filling the control plane's memory.
 */
export class ExecFlows {
  private readonly flows = new Map<string, Flow>();

  /** Starts counting a command's output; without a window (an older control plane) nothing is held back. */
  open(execId: string, window: number | undefined): { gate?: OutputGate; sent: (bytes: number) => void; close: () => void } {
    if (window === undefined) return { sent: () => undefined, close: () => undefined };
    const flow: Flow = { gate: new OutputGate(), window, outstanding: 0 };
    this.flows.set(execId, flow);
    return {
      gate: flow.gate,
      sent: (bytes) => {
        flow.outstanding += bytes;
        if (flow.outstanding >= flow.window) flow.gate.set(true);
      },
      close: () => {
        if (this.flows.get(execId) === flow) this.flows.delete(execId);
      },
    };
  }

  /** Takes an `exec.credit` event; false when the payload is not one (malformed credit is dropped). */
  credit(payload: unknown): boolean {
    const parsed = ExecCredit.safeParse(payload);
    if (!parsed.success) return false;
    const flow = this.flows.get(parsed.data.execId);
    if (!flow) return true;
    flow.outstanding = Math.max(0, flow.outstanding - parsed.data.bytes);
    if (flow.outstanding <= flow.window / 2) flow.gate.set(false);
    return true;
  }

  /** How many commands are being counted (for tests and metrics). */
  get size(): number {
    return this.flows.size;
  }
}
