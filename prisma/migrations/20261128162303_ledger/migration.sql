-- CreateTable
CREATE TABLE "LedgerKey" (
    "version" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "publicKey" TEXT NOT NULL,
    "sealedPrivateKey" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retiredAt" DATETIME
);

-- CreateTable
CREATE TABLE "LedgerCheckpoint" (
    "size" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "root" TEXT NOT NULL,
    "note" TEXT NOT NULL,
    "keyVersion" INTEGER NOT NULL,
    "frontier" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- AddColumn (in place: no copy of the audit table)
ALTER TABLE "AuditEvent" ADD COLUMN "leaf" TEXT NOT NULL DEFAULT '';

-- Still append-only; the one change allowed is filling in the leaf of an event stored before leaves were kept.
DROP TRIGGER "AuditEvent_no_update";
CREATE TRIGGER "AuditEvent_no_update" BEFORE UPDATE ON "AuditEvent"
WHEN NOT (NEW."seq" IS OLD."seq" AND NEW."at" IS OLD."at" AND NEW."actorType" IS OLD."actorType" AND NEW."actorId" IS OLD."actorId" AND NEW."actorName" IS OLD."actorName" AND NEW."action" IS OLD."action" AND NEW."targetType" IS OLD."targetType" AND NEW."targetId" IS OLD."targetId" AND NEW."targetName" IS OLD."targetName" AND NEW."outcome" IS OLD."outcome" AND NEW."sourceIp" IS OLD."sourceIp" AND NEW."userAgent" IS OLD."userAgent" AND NEW."requestId" IS OLD."requestId" AND NEW."details" IS OLD."details" AND NEW."prevHash" IS OLD."prevHash" AND NEW."hash" IS OLD."hash" AND OLD."leaf" = '' AND NEW."leaf" <> '')
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

-- Signed checkpoints are append-only too.
CREATE TRIGGER "LedgerCheckpoint_no_update" BEFORE UPDATE ON "LedgerCheckpoint"
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER "LedgerCheckpoint_no_delete" BEFORE DELETE ON "LedgerCheckpoint"
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
