import { NotInstalled } from '../../_ui/common';

export default function SandboxesPage() {
  return <NotInstalled title="Sandboxes" description="gVisor sandboxes created through the API, the SDK and the sbx CLI will be listed here with their limits, state and owner." />;
}
