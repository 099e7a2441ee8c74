-- AlterTable
ALTER TABLE "Sandbox" ADD COLUMN "pausedSeconds" INTEGER;
