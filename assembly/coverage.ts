// Rule coverage over a run (`filter --coverage`): per rule, the packets that
// reached it, those it matched, and those that would have matched it had an
// earlier rule not decided them first, which is what makes a rule shadowed.
// A record per rule, in the image's chain and rule order: chain index,
// handle, then the three counts.
import { ChainEntry, CoverageRecord, RuleHeader, RulesetHeader } from './abi';
import * as rs from './ruleset';

export let enabled = false;
export let records: usize = 0;
export let recordCount: u32 = 0;
// A record's index by the rule's word offset in the code.
let ordinals: usize = 0;

export function coverageEnable(): usize {
  const chains = load<u32>(rs.image + (<usize>RulesetHeader.ChainCount << 2));
  let rules: u32 = 0;
  for (let c: u32 = 0; c < chains; c++) rules += load<u32>(rs.chainEntry(c) + (<usize>ChainEntry.RuleCount << 2));
  records = heap.alloc(<usize>rules * CoverageRecord.Size);
  memory.fill(records, 0, <usize>rules * CoverageRecord.Size);
  ordinals = heap.alloc(<usize>load<u32>(rs.image + (<usize>RulesetHeader.CodeLength << 2)));
  let n: u32 = 0;
  for (let c: u32 = 0; c < chains; c++) {
    const entry = rs.chainEntry(c);
    let rule = rs.code + load<u32>(entry + (<usize>ChainEntry.FirstRule << 2));
    const count = load<u32>(entry + (<usize>ChainEntry.RuleCount << 2));
    for (let i: u32 = 0; i < count; i++) {
      const r = records + <usize>n * CoverageRecord.Size;
      store<u32>(r + CoverageRecord.Chain, c);
      store<u32>(r + CoverageRecord.Handle, load<u32>(rule + (<usize>RuleHeader.Handle << 2)));
      store<u32>(ordinals + ((rule - rs.code) & ~3), n);
      n++;
      rule += <usize>load<u32>(rule) << 2;
    }
  }
  recordCount = n;
  enabled = true;
  return records;
}

@inline function record(rule: usize): usize {
  return records + <usize>load<u32>(ordinals + (rule - rs.code)) * CoverageRecord.Size;
}

@inline function bump(at: usize): void {
  store<u64>(at, load<u64>(at) + 1);
}

export function reached(rule: usize): void {
  bump(record(rule) + CoverageRecord.Reached);
}

export function matched(rule: usize): void {
  bump(record(rule) + CoverageRecord.Matched);
}

export function wouldHaveMatched(rule: usize): void {
  bump(record(rule) + CoverageRecord.Shadowed);
}
