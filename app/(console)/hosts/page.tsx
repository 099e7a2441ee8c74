import { EmptyState, PageHead } from '../../_ui/common';

export default function HostsPage() {
  return (
    <>
      <PageHead title="Hosts" description="Host agents join over mutual TLS 1.3 with short-lived certificates from the appliance's own CA. Enrolment, renewal and revocation arrive with the host-agent release." />
      <div className="card">
        <EmptyState title="Nothing here yet">This part of the appliance is not installed in this release.</EmptyState>
      </div>
    </>
  );
}
