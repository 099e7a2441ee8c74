-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Sandbox" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "agentId" TEXT NOT NULL,
    "ownerId" TEXT NOT NULL,
    "ownerName" TEXT NOT NULL,
    "image" TEXT NOT NULL,
    "cpus" REAL NOT NULL,
    "memoryMiB" INTEGER NOT NULL,
    "pids" INTEGER NOT NULL,
    "diskMiB" INTEGER NOT NULL,
    "timeoutSeconds" INTEGER NOT NULL,
    "metadata" TEXT NOT NULL,
    "network" TEXT NOT NULL DEFAULT '{"mode":"none","allow":[]}',
    "state" TEXT NOT NULL,
    "stateReason" TEXT,
    "createdAt" DATETIME NOT NULL,
    "deadlineAt" DATETIME NOT NULL,
    "endedAt" DATETIME
);
INSERT INTO "new_Sandbox" ("agentId", "cpus", "createdAt", "deadlineAt", "diskMiB", "endedAt", "id", "image", "memoryMiB", "metadata", "ownerId", "ownerName", "pids", "state", "stateReason", "timeoutSeconds") SELECT "agentId", "cpus", "createdAt", "deadlineAt", "diskMiB", "endedAt", "id", "image", "memoryMiB", "metadata", "ownerId", "ownerName", "pids", "state", "stateReason", "timeoutSeconds" FROM "Sandbox";
DROP TABLE "Sandbox";
ALTER TABLE "new_Sandbox" RENAME TO "Sandbox";
CREATE INDEX "Sandbox_ownerId_idx" ON "Sandbox"("ownerId");
CREATE INDEX "Sandbox_state_idx" ON "Sandbox"("state");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
