import { EmptyState, PageHead } from '../../_ui/common';

export default function SandboxesPage() {
  return (
    <>
      <PageHead title="Sandboxes" description="gVisor sandboxes created through the API, the SDK and the sbx CLI will be listed here with their limits, state and owner." />
      <div className="card">
        <EmptyState title="Nothing here yet">This part of the appliance is not installed in this release.</EmptyState>
      </div>
    </>
  );
}
