import type { SandboxView } from '@/lib/api/sandboxes';
import { Badge } from '../../_ui/common';

const tone = { running: 'ok', starting: 'info', paused: 'info', stopped: undefined, expired: 'warn', failed: 'danger' } as const;

export function SandboxState({ sandbox }: { sandbox: SandboxView }) {
  return (
    <Badge tone={tone[sandbox.state]}>
      {sandbox.state}
      {sandbox.stateReason ? `: ${sandbox.stateReason}` : ''}
    </Badge>
  );
}
