import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { PrismaClient } from './generated/client';
import type { Prisma } from './generated/client';

export type Db = PrismaClient;
/** The client handed to the body of an interactive transaction. */
export type Tx = Prisma.TransactionClient;
/** The SQLite connection under Prisma, for the ledger's bulk appends (see rawConnection). */
export type RawConnection = BetterSqlite3.Database;

const connections = new WeakMap<Db, () => RawConnection | null>();

/** Opens the embedded SQLite database through Prisma's better-sqlite3 driver adapter. */
export function openSqlite(databaseFile: string): Db {
  const factory = new PrismaBetterSqlite3({ url: `file:${databaseFile}`, timeout: 5000 });
  let connection: RawConnection | null = null;
  const connect = factory.connect.bind(factory);
  // The adapter keeps its better-sqlite3 connection as `client`; it is captured so that bulk
  // appends run on the very connection Prisma uses (one writer, no lock between two connections).
  factory.connect = async () => {
    const adapter = await connect();
    connection = (adapter as unknown as { client?: RawConnection }).client ?? null;
    return adapter;
  };
  const db = new PrismaClient({ adapter: factory });
  connections.set(db, () => connection);
  return db;
}

/**
 * The better-sqlite3 connection Prisma uses. Statements on it run synchronously, so a
 * transaction made on it completes before any other JavaScript runs; callers hold the ledger's
 * lock, under which no Prisma interactive transaction is open. Integers read come back as BigInt.
 */
export async function rawConnection(db: Db): Promise<RawConnection> {
  const get = connections.get(db);
  if (!get) throw new Error('not a database opened by openSqlite');
  if (!get()) await db.$connect();
  const connection = get();
  if (!connection) throw new Error('the Prisma better-sqlite3 adapter no longer exposes its connection');
  return connection;
}
