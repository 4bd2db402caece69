// The control block the main thread and its shard workers share: one
// command at a time, posted by bumping a sequence number, answered by each
// worker with the same number and the data plane's batch state.
export const enum Command {
  Batch = 1,
  Restart = 2,
  Exit = 3,
}

// Int32 slots of the command area.
export const enum Slot {
  Seq = 0,
  Command = 1,
  Start = 2,
  Length = 3,
  Final = 4,
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
}

const COMMAND_SLOTS = 16;
const ANSWER_SLOTS = 16;

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
  packetTotals: number;
  countersBuffer: number;
  tunablesBuffer: number;
  conntrackEntries: number;
  conntrackExtensions: number;
  conntrackAccounting: number;
  conntrackHighWater: number;
}
