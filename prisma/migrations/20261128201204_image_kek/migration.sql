-- AlterTable
ALTER TABLE "Sandbox" ADD COLUMN "imageKekId" TEXT;
ALTER TABLE "Sandbox" ADD COLUMN "imageKekVersion" INTEGER;
