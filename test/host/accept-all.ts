// A ruleset image with no chains at all: every packet passes every hook.
// Capture-format tests use it so that they depend on the walker alone.
import { RulesetHeader, RULESET_MAGIC, RULESET_VERSION, Hook, HOOK_FAMILIES } from '../../assembly/abi.js';
import type { Ruleset } from '../../compiler/index.js';

export function acceptAllRuleset(): Ruleset {
  const hookTable = RulesetHeader.Words * 4;
  const end = hookTable + HOOK_FAMILIES * Hook.Count * 8;
  const image = new Uint8Array(end);
  const v = new DataView(image.buffer);
  const set = (field: RulesetHeader, value: number) => v.setUint32(field * 4, value, true);
  set(RulesetHeader.Magic, RULESET_MAGIC);
  set(RulesetHeader.Version, RULESET_VERSION);
  set(RulesetHeader.ChainTableOffset, end);
  set(RulesetHeader.HookTableOffset, hookTable);
  set(RulesetHeader.SetTableOffset, end);
  set(RulesetHeader.CodeOffset, end);
  set(RulesetHeader.ObjectTableOffset, end);
  return { image, counterCount: 0, chains: [], rules: [], toListing: () => '' } as unknown as Ruleset;
}
