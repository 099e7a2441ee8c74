import { NotInstalled } from '../../_ui/common';

export default function PoliciesPage() {
  return <NotInstalled title="Policies" description="Policy as code: versions, diffs and per-host rollout state of the policies kept in git." />;
}
