-- CreateTable
CREATE TABLE "SandboxCommand" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "sandboxId" TEXT NOT NULL,
    "actorName" TEXT NOT NULL,
    "command" TEXT NOT NULL,
    "background" BOOLEAN NOT NULL,
    "state" TEXT NOT NULL,
    "exitCode" INTEGER,
    "signal" TEXT,
    "startedAt" DATETIME NOT NULL,
    "endedAt" DATETIME,
    "durationMs" INTEGER
);

-- CreateIndex
CREATE INDEX "SandboxCommand_sandboxId_startedAt_idx" ON "SandboxCommand"("sandboxId", "startedAt");
