import { EmptyState, PageHead } from '../../_ui/common';

export default function KeysPage() {
  return (
    <>
      <PageHead title="Keys" description="Key-encryption keys for data at rest: versions, rotation, rewrap and crypto-shredding." />
      <div className="card">
        <EmptyState title="Nothing here yet">This part of the appliance is not installed in this release.</EmptyState>
      </div>
    </>
  );
}
