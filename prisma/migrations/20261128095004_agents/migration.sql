-- CreateTable
CREATE TABLE "JoinToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "secretHash" TEXT NOT NULL,
    "labels" TEXT NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "usedByAgentId" TEXT
);

-- CreateTable
CREATE TABLE "Agent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "hostname" TEXT NOT NULL,
    "labels" TEXT NOT NULL,
    "enrolledAt" DATETIME NOT NULL,
    "revokedAt" DATETIME,
    "connected" BOOLEAN NOT NULL DEFAULT false,
    "lastSeenAt" DATETIME,
    "agentVersion" TEXT,
    "runscVersion" TEXT,
    "kernel" TEXT,
    "platform" TEXT,
    "capacity" TEXT,
    "health" TEXT,
    "sandboxes" INTEGER NOT NULL DEFAULT 0
);

-- CreateTable
CREATE TABLE "AgentCertificate" (
    "serial" TEXT NOT NULL PRIMARY KEY,
    "agentId" TEXT NOT NULL,
    "issuedAt" DATETIME NOT NULL,
    "notBefore" DATETIME NOT NULL,
    "notAfter" DATETIME NOT NULL,
    "revokedAt" DATETIME,
    CONSTRAINT "AgentCertificate_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "AgentCertificate_agentId_idx" ON "AgentCertificate"("agentId");
