import fs from 'node:fs';
import type { Logger } from 'pino';
import type { LedgerSelfCheck } from '../../lib/api/audit';
import { GENESIS_HASH } from '../../lib/audit/events';
import { signCheckpoint } from '../../lib/ledger/checkpoint';
import { TreeBuilder } from '../../lib/ledger/merkle';
import type { Db } from '../db/client';
import { SerialLock } from '../serial-lock';
import type { LedgerKeys } from './ledger-key';

/** The last event of the chain: where the next one attaches. */
export type ChainHead = { seq: number; hash: string };

export type SignedCheckpoint = { size: number; root: string; note: string; keyVersion: number; createdAt: Date };

/** Where checkpoints go besides the database, so that whoever runs the database cannot rewrite history unseen. */
export type CheckpointSink = { name: string; send(note: string): Promise<void> };

export type LedgerOptions = {
  /** Sign a checkpoint once this many events arrived since the last one. */
  checkpointEvery: number;
  /** The append-only file every checkpoint is also written to (fsynced). */
  checkpointFile: string;
  sinks: CheckpointSink[];
  log: Logger;
};

/**
 * The one append-only log of every audit event. Appends are serialised (the chain head and the
 * tree move one event at a time, see `run`); the Merkle tree is kept as its compact range, so a
 * checkpoint costs O(log n) however long the log. Checkpoints are signed with the newest ledger
 * key and written to the database, the checkpoint file and any sinks.
 */
export class Ledger {
  private readonly lock = new SerialLock();
  private head: ChainHead;
  private latestCheckpoint: SignedCheckpoint | null;
  private sinkQueue: Promise<void> = Promise.resolve();
  /** The last integrity self-check (a failure stays on the console until a later check passes). */
  lastCheck: LedgerSelfCheck | null = null;
  /** Hashes of full aligned blocks of leaves (by block number), for inclusion proofs. */
  readonly subtrees = new Map<number, Buffer>();

  constructor(
    private readonly db: Db,
    private keys: LedgerKeys,
    private readonly tree: TreeBuilder,
    head: ChainHead | null,
    latest: SignedCheckpoint | null,
    private readonly options: LedgerOptions,
  ) {
    this.head = head ?? { seq: 0, hash: GENESIS_HASH };
    this.latestCheckpoint = latest;
    if (tree.size !== this.head.seq) throw new Error(`the ledger tree has ${tree.size} leaves but the chain ${this.head.seq} events`);
  }

  /** Runs `task` alone: appends and checkpoints never interleave. */
  run<T>(task: () => Promise<T>): Promise<T> {
    return this.lock.run(task);
  }

  /** The chain head, for an append about to start (call inside `run`). */
  chainHead(): ChainHead {
    return { ...this.head };
  }

  get size(): number {
    return this.tree.size;
  }

  get name(): string {
    return this.keys.name;
  }

  signingKeys(): LedgerKeys {
    return this.keys;
  }

  latest(): SignedCheckpoint | null {
    return this.latestCheckpoint;
  }

  /** The root of the whole log now (hex). */
  root(): string {
    return this.tree.root().toString('hex');
  }

  /**
   * Takes in events whose transaction committed (call inside `run`, in order): the chain moves to
   * `head` and the tree grows by `leaves`. Signs a checkpoint when enough events arrived.
   */
  async committed(head: ChainHead, leaves: readonly Buffer[]): Promise<void> {
    for (const leaf of leaves) this.tree.push(leaf);
    this.head = head;
    if (this.tree.size - (this.latestCheckpoint?.size ?? 0) >= this.options.checkpointEvery) await this.sign();
  }

  /** Signs a checkpoint now if the log grew since the last one; returns the latest either way. */
  checkpoint(): Promise<SignedCheckpoint | null> {
    return this.run(async () => {
      if (this.tree.size > (this.latestCheckpoint?.size ?? 0)) await this.sign();
      return this.latestCheckpoint;
    });
  }

  /** Uses new keys from now on (after a rotation committed). */
  useKeys(keys: LedgerKeys): void {
    this.keys = keys;
  }

  private async sign(): Promise<void> {
    const size = this.tree.size;
    const root = this.tree.root();
    const note = signCheckpoint({ origin: this.keys.name, size, root }, this.keys.name, this.keys.current.privateKey);
    const frontier = JSON.stringify(this.tree.frontier().hashes.map((h) => h.toString('hex')));
    const row = await this.db.ledgerCheckpoint.create({
      data: { size, root: root.toString('hex'), note, keyVersion: this.keys.current.version, frontier },
    });
    this.latestCheckpoint = { size, root: row.root, note, keyVersion: row.keyVersion, createdAt: row.createdAt };
    try {
      appendDurably(this.options.checkpointFile, note);
    } catch (error) {
      this.options.log.error({ err: error, file: this.options.checkpointFile }, 'cannot append the checkpoint to the checkpoint file');
    }
    for (const sink of this.options.sinks) {
      // Sinks are slow and may be down: they get checkpoints in order, off the append path.
      this.sinkQueue = this.sinkQueue.then(() =>
        sink.send(note).catch((error: unknown) => this.options.log.warn({ err: error, sink: sink.name, size }, 'checkpoint sink refused')),
      );
    }
  }
}

/** Appends `text` and waits until it is on disk. */
function appendDurably(file: string, text: string): void {
  const fd = fs.openSync(file, 'a', 0o600);
  try {
    const data = Buffer.from(`${text}\n`);
    for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
