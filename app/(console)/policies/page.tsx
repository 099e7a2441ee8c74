import { EmptyState, PageHead } from '../../_ui/common';

export default function PoliciesPage() {
  return (
    <>
      <PageHead title="Policies" description="Policy as code: versions, diffs and per-host rollout state of the policies kept in git." />
      <div className="card">
        <EmptyState title="Nothing here yet">This part of the appliance is not installed in this release.</EmptyState>
      </div>
    </>
  );
}
