-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN "originAgent" TEXT;
ALTER TABLE "AuditEvent" ADD COLUMN "originSeq" INTEGER;

-- CreateTable
CREATE TABLE "AgentSpoolCursor" (
    "agentId" TEXT NOT NULL PRIMARY KEY,
    "lastSeq" INTEGER NOT NULL,
    "missing" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "AuditEvent_originAgent_originSeq_key" ON "AuditEvent"("originAgent", "originSeq");

-- The append-only guard covers the new columns too.
DROP TRIGGER "AuditEvent_no_update";
CREATE TRIGGER "AuditEvent_no_update" BEFORE UPDATE ON "AuditEvent"
WHEN NOT (NEW."seq" IS OLD."seq" AND NEW."at" IS OLD."at" AND NEW."actorType" IS OLD."actorType" AND NEW."actorId" IS OLD."actorId" AND NEW."actorName" IS OLD."actorName" AND NEW."action" IS OLD."action" AND NEW."targetType" IS OLD."targetType" AND NEW."targetId" IS OLD."targetId" AND NEW."targetName" IS OLD."targetName" AND NEW."outcome" IS OLD."outcome" AND NEW."sourceIp" IS OLD."sourceIp" AND NEW."userAgent" IS OLD."userAgent" AND NEW."requestId" IS OLD."requestId" AND NEW."details" IS OLD."details" AND NEW."prevHash" IS OLD."prevHash" AND NEW."hash" IS OLD."hash" AND NEW."originAgent" IS OLD."originAgent" AND NEW."originSeq" IS OLD."originSeq" AND OLD."leaf" = '' AND NEW."leaf" <> '')
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
