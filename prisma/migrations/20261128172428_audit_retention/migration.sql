-- CreateTable
CREATE TABLE "AuditPurge" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "cutoff" TEXT NOT NULL,
    "events" INTEGER NOT NULL,
    "requestedBy" TEXT NOT NULL,
    "requestedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "approvedBy" TEXT,
    "approvedAt" DATETIME,
    "state" TEXT NOT NULL
);

-- AddColumn (in place: no copy of the audit table)
ALTER TABLE "AuditEvent" ADD COLUMN "tombstone" BOOLEAN NOT NULL DEFAULT false;

-- Still append-only. Two changes are allowed: filling in the leaf of an event stored before leaves
-- were kept, and turning an event past retention into a tombstone that keeps its number, time,
-- hashes and leaf (so the chain and the tree still verify) and nothing else.
DROP TRIGGER "AuditEvent_no_update";
CREATE TRIGGER "AuditEvent_no_update" BEFORE UPDATE ON "AuditEvent"
WHEN NOT (
  (NEW."seq" IS OLD."seq" AND NEW."at" IS OLD."at" AND NEW."actorType" IS OLD."actorType" AND NEW."actorId" IS OLD."actorId" AND NEW."actorName" IS OLD."actorName" AND NEW."action" IS OLD."action" AND NEW."targetType" IS OLD."targetType" AND NEW."targetId" IS OLD."targetId" AND NEW."targetName" IS OLD."targetName" AND NEW."outcome" IS OLD."outcome" AND NEW."sourceIp" IS OLD."sourceIp" AND NEW."userAgent" IS OLD."userAgent" AND NEW."requestId" IS OLD."requestId" AND NEW."details" IS OLD."details" AND NEW."prevHash" IS OLD."prevHash" AND NEW."hash" IS OLD."hash" AND NEW."originAgent" IS OLD."originAgent" AND NEW."originSeq" IS OLD."originSeq" AND NEW."tombstone" IS OLD."tombstone" AND OLD."leaf" = '' AND NEW."leaf" <> '')
  OR (NEW."seq" IS OLD."seq" AND NEW."at" IS OLD."at" AND NEW."prevHash" IS OLD."prevHash" AND NEW."hash" IS OLD."hash" AND NEW."leaf" IS OLD."leaf" AND OLD."tombstone" = 0 AND NEW."tombstone" = 1 AND OLD."leaf" <> ''
      AND NEW."details" = '{}' AND NEW."actorId" IS NULL AND NEW."targetId" IS NULL AND NEW."sourceIp" IS NULL AND NEW."userAgent" IS NULL AND NEW."originAgent" IS NULL)
)
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
