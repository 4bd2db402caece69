// nft's standard chain priorities by name (std_prios and bridge_std_prios in
// its rule.c), which a chain may give instead of a number and the listing
// prints back.
import type { Family } from './ast.js';

const STANDARD: [string, number][] = [['raw', -300], ['mangle', -150], ['dstnat', -100], ['filter', 0], ['security', 50], ['srcnat', 100]];
const BRIDGE: [string, number][] = [['dstnat', -300], ['filter', -200], ['out', 100], ['srcnat', 300]];

// The hook a name is bound to, where it is bound to one.
const ONLY_ON: Record<string, string> = { dstnat: 'prerouting', srcnat: 'postrouting', out: 'output' };

export function standardPriorities(family: Family): [string, number][] {
  return family === 'bridge' ? BRIDGE : STANDARD;
}

// The value of a standard priority's name on a hook, if it has one there.
export function standardPriority(family: Family, hook: string, name: string): number | undefined {
  if (!compatible(family, hook, name)) return undefined;
  return standardPriorities(family).find(([n]) => n === name)?.[1];
}

// nft's std_prio_family_hook_compat: arp and netdev know filter alone.
function compatible(family: Family, hook: string, name: string): boolean {
  if (ONLY_ON[name] !== undefined && ONLY_ON[name] !== hook) return false;
  return family !== 'arp' && family !== 'netdev' || name === 'filter';
}

// A priority as nft lists it: the standard name within 10 of it, and the
// offset, or the number.
export function priorityName(family: Family, hook: string, priority: number): string {
  for (const [name, value] of standardPriorities(family)) {
    if (!compatible(family, hook, name)) continue;
    const off = priority - value;
    if (Math.abs(off) <= 10) return off === 0 ? name : `${name} ${off > 0 ? '+' : '-'} ${Math.abs(off)}`;
  }
  return String(priority);
}
