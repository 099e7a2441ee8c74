import { NotInstalled } from '../../_ui/common';

export default function HostsPage() {
  return <NotInstalled title="Hosts" description="Host agents join over mutual TLS 1.3 with short-lived certificates from the appliance's own CA. Enrolment, renewal and revocation arrive with the host-agent release." />;
}
