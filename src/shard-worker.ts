// A shard worker: its own data plane instance over a shared memory, running
// the capture batches the main thread posts through the control block and
// evaluating only the packets of its shard.
import { parentPort, workerData } from 'node:worker_threads';
import { readSync } from 'node:fs';
import { Engine, type EngineOptions } from './engine.js';
import { Answer, Command, Slot, workerBase, type WorkerLayout } from './shard-control.js';
import { BatchStatus } from '../assembly/abi.js';

export interface ShardWorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  // Worker 0's memory, whose input buffer the main thread fills: at the
  // same address as every worker's, their layouts being the same.
  first: WebAssembly.Memory;
  control: SharedArrayBuffer;
  index: number;
  count: number;
  engine: EngineOptions;
  image: Uint8Array;
  fastPaths: boolean;
}

async function serve(data: ShardWorkerData): Promise<void> {
  const engine = await Engine.create(data.module, data.engine, data.memory);
  engine.loadRuleset(data.image);
  const ex = engine.exports;
  if (!data.fastPaths) ex.fastPathsEnable(0);
  ex.shardSet(data.index, data.count);
  // A command may run several batches; the main thread reads the ids they
  // show first once, after it.
  ex.newIdsKeep(1);
  const layout: WorkerLayout = {
    inputBuffer: ex.inputBuffer(),
    inputSize: ex.inputSize(),
    resultsBuffer: ex.resultsBuffer(),
    newIdsBuffer: ex.newIdsBuffer(),
    packetTotals: ex.packetTotals(),
    countersBuffer: ex.countersBuffer(),
    statesBuffer: ex.statesBuffer(),
    tunablesBuffer: ex.tunablesBuffer(),
    conntrackRegions: ex.conntrackRegions(),
    conntrackHighWater: ex.conntrackHighWater(),
    conntrackStats: ex.conntrackStats(),
    setDescriptors: ex.setDescriptors(),
  };
  parentPort!.postMessage({ ready: layout });
  const ctl = new Int32Array(data.control);
  const me = workerBase(data.index);
  // The batch state the main thread reads after each batch.
  const answerBatch = (): void => {
    consumed = ex.batchConsumed();
    ctl[me + Answer.Consumed] = consumed;
    ctl[me + Answer.Status] = ex.batchStatus();
    const t = ex.lastPacketTime();
    ctl[me + Answer.TimeLow] = Number(t & 0xffffffffn) | 0;
    ctl[me + Answer.TimeHigh] = Number(t >> 32n) | 0;
    const p = ex.packetsProcessed();
    ctl[me + Answer.PacketsLow] = Number(p & 0xffffffffn) | 0;
    ctl[me + Answer.PacketsHigh] = Number(p >> 32n) | 0;
    ctl[me + Answer.CaptureError] = ex.captureError();
    ctl[me + Answer.CaptureErrorLength] = ex.captureErrorLength();
    ctl[me + Answer.CaptureErrorLimit] = ex.captureErrorLimit();
    ctl[me + Answer.LinkType] = ex.captureLinkType();
    ctl[me + Answer.ConntrackCount] = ex.conntrackCount();
    ctl[me + Answer.NewIds] = ex.newIdsCount();
  };
  // Bytes in this worker's input buffer, and how many of them the last
  // batch walked.
  let filled = 0;
  let consumed = 0;
  let seq = 0;
  for (;;) {
    Atomics.wait(ctl, Slot.Seq, seq);
    seq = Atomics.load(ctl, Slot.Seq);
    const cmd = Atomics.load(ctl, Slot.Command);
    if (cmd === Command.Exit) break;
    ex.newIdsClear();
    ex.resultsKeep(ctl[Slot.Results]!);
    if (cmd === Command.Restart) {
      ex.captureRestart();
      filled = 0;
      consumed = 0;
    } else if (cmd === Command.Batch) {
      const start = ctl[Slot.Start]!;
      const len = ctl[Slot.Length]!;
      // Each worker copies the new block for itself, all at once, rather
      // than the main thread one after another.
      if (data.index !== 0 && ctl[Slot.Copy]) engine.bytes(layout.inputBuffer + start, len - start).set(new Uint8Array(data.first.buffer, layout.inputBuffer + start, len - start));
      filled = len;
      ctl[me + Answer.Count] = ex.processBatch(start, len, ctl[Slot.Final]!);
      answerBatch();
    } else if (cmd === Command.ReadBatch) {
      // Reading here, into this thread's own memory, puts the bytes in this
      // core's cache just before the walk, and leaves the main thread idle.
      // Several blocks a command spare the threads as many wake-ups.
      const input = engine.bytes(layout.inputBuffer, layout.inputSize);
      const block = ctl[Slot.Length]!;
      let position = ctl[Slot.PositionHigh]! * 2 ** 32 + (ctl[Slot.PositionLow]! >>> 0);
      let read = 0;
      let error = 0;
      let final = 0;
      for (let round = 0; round < ctl[Slot.Rounds]!; round++) {
        input.copyWithin(0, consumed, filled);
        filled -= consumed;
        consumed = 0;
        // A read may come back short; the workers must agree on what they
        // read, so each reads the whole block unless the file ends.
        const want = Math.min(block, layout.inputSize - filled);
        let n = 0;
        try {
          for (;;) {
            const r = readSync(ctl[Slot.File]!, input, filled + n, want - n, position + n);
            n += r;
            if (r === 0 || n === want) break;
          }
        } catch (e) {
          error = (e as { errno?: number }).errno ?? -5;
          break;
        }
        position += n;
        read += n;
        filled += n;
        final = n === 0 ? 1 : 0;
        ctl[me + Answer.Count] = ex.processBatch(0, filled, final);
        answerBatch();
        if (n === 0 || ex.batchStatus() !== BatchStatus.NeedMore) break;
      }
      ctl[me + Answer.BytesRead] = read;
      ctl[me + Answer.ReadError] = error;
      ctl[me + Answer.Length] = filled;
      ctl[me + Answer.Final] = final;
    }
    Atomics.store(ctl, me + Answer.Seq, seq);
    Atomics.notify(ctl, me + Answer.Seq);
  }
}

serve(workerData as ShardWorkerData).catch((e: unknown) => {
  const ctl = new Int32Array((workerData as ShardWorkerData).control);
  Atomics.store(ctl, workerBase((workerData as ShardWorkerData).index) + Answer.Failed, 1);
  Atomics.notify(ctl, workerBase((workerData as ShardWorkerData).index) + Answer.Seq);
  parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) });
});
