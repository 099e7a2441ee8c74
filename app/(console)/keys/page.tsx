import { NotInstalled } from '../../_ui/common';

export default function KeysPage() {
  return <NotInstalled title="Keys" description="Key-encryption keys for data at rest: versions, rotation, rewrap and crypto-shredding." />;
}
