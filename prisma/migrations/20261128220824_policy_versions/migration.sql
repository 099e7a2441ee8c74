-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN "team" TEXT;

-- AlterTable
ALTER TABLE "Agent" ADD COLUMN "policyAt" DATETIME;
ALTER TABLE "Agent" ADD COLUMN "policyError" TEXT;
ALTER TABLE "Agent" ADD COLUMN "policyHash" TEXT;
ALTER TABLE "Agent" ADD COLUMN "policyVersion" INTEGER;

-- AlterTable
ALTER TABLE "Sandbox" ADD COLUMN "policy" TEXT;

-- CreateTable
CREATE TABLE "PolicyVersion" (
    "version" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "hash" TEXT NOT NULL,
    "policies" TEXT NOT NULL,
    "signature" TEXT NOT NULL,
    "signer" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "actorType" TEXT NOT NULL,
    "actorId" TEXT NOT NULL,
    "actorName" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "changes" TEXT NOT NULL
);
