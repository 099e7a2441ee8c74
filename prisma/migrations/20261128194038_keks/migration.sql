-- CreateTable
CREATE TABLE "Kek" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdBy" TEXT NOT NULL,
    "latestVersion" INTEGER NOT NULL,
    "minDecryptVersion" INTEGER NOT NULL DEFAULT 1
);

-- CreateTable
CREATE TABLE "KekVersion" (
    "kekId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "sealed" TEXT,
    "state" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "destroyedAt" DATETIME,

    PRIMARY KEY ("kekId", "version"),
    CONSTRAINT "KekVersion_kekId_fkey" FOREIGN KEY ("kekId") REFERENCES "Kek" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "Kek_name_key" ON "Kek"("name");
