-- AlterTable
ALTER TABLE "Sandbox" ADD COLUMN "kekId" TEXT;
