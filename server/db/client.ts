import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from './generated/client';
import type { Prisma } from './generated/client';

export type Db = PrismaClient;
/** The client handed to the body of an interactive transaction. */
export type Tx = Prisma.TransactionClient;

/** Opens the embedded SQLite database through Prisma's better-sqlite3 driver adapter. */
export function openSqlite(databaseFile: string): Db {
  const adapter = new PrismaBetterSqlite3({ url: `file:${databaseFile}`, timeout: 5000 });
  return new PrismaClient({ adapter });
}
