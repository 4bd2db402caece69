// The control block the main thread and its shard workers share: one
// command at a time, posted by bumping a sequence number, answered by each
// worker with the same number and the data plane's batch state.
export const enum Command {
  Batch = 1,
  Restart = 2,
  Exit = 3,
  // Each worker moves the unconsumed end of its input buffer to its start,
  // reads up to Length more bytes of the capture file (descriptor File) at
  // position PositionHigh * 2^32 + PositionLow after it, and runs a batch
  // over the whole buffer (Final when nothing more was read); up to Rounds
  // times in a row, while the batches end wanting more.
  ReadBatch = 4,
}

// Int32 slots of the command area.
export const enum Slot {
  Seq = 0,
  Command = 1,
  Start = 2,
  Length = 3,
  Final = 4,
  // Batch: 1 when each worker first copies input[Start, Length) from
  // worker 0's memory.
  Copy = 5,
  File = 6,
  PositionLow = 7,
  PositionHigh = 8,
  Rounds = 9,
  // Batch, ReadBatch: 0 when nobody reads the per-packet results, only the
  // ids they show first.
  Results = 10,
}

// Int32 slots of each worker's answer area, at workerBase(w).
export const enum Answer {
  Seq = 0,
  Count = 1,
  Consumed = 2,
  Status = 3,
  TimeLow = 4,
  TimeHigh = 5,
  PacketsLow = 6,
  PacketsHigh = 7,
  CaptureError = 8,
  LinkType = 9,
  ConntrackCount = 10,
  // A worker that failed says so here and in a message.
  Failed = 11,
  // ReadBatch: bytes read, and the errno of a failed read (0: none).
  BytesRead = 12,
  ReadError = 13,
  // ReadBatch: the bytes in the input buffer the batch ran over.
  Length = 14,
  // The conntrack ids the command's results show first (newIdsCount()).
  NewIds = 15,
  // ReadBatch: 1 when the last batch was the capture's last (nothing more
  // was read).
  Final = 16,
  // A record too long: its captured length and the length it exceeds.
  CaptureErrorLength = 17,
  CaptureErrorLimit = 18,
}

const COMMAND_SLOTS = 16;
// More than the largest Answer.
const ANSWER_SLOTS = 32;

export function workerBase(w: number): number {
  return COMMAND_SLOTS + w * ANSWER_SLOTS;
}

export function controlBytes(workers: number): number {
  return (COMMAND_SLOTS + workers * ANSWER_SLOTS) * 4;
}

// What a worker reports once its data plane is set up: where its regions
// lie in its memory.
export interface WorkerLayout {
  inputBuffer: number;
  inputSize: number;
  resultsBuffer: number;
  newIdsBuffer: number;
  packetTotals: number;
  countersBuffer: number;
  statesBuffer: number;
  tunablesBuffer: number;
  // Where the addresses of the entry arrays are: they move as the table grows.
  conntrackRegions: number;
  conntrackHighWater: number;
  conntrackStats: number;
  setDescriptors: number;
}
