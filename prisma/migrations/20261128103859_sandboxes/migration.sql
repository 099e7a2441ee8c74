-- CreateTable
CREATE TABLE "Sandbox" (
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
    "state" TEXT NOT NULL,
    "stateReason" TEXT,
    "createdAt" DATETIME NOT NULL,
    "deadlineAt" DATETIME NOT NULL,
    "endedAt" DATETIME
);

-- CreateIndex
CREATE INDEX "Sandbox_ownerId_idx" ON "Sandbox"("ownerId");

-- CreateIndex
CREATE INDEX "Sandbox_state_idx" ON "Sandbox"("state");
