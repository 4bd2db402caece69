// Makes `conntrack -L -o extended,id` output comparable across runs and with
// nftwasm's table: what differs between two correct answers is taken out.

/**
 * One string per entry, sorted, with the remaining timeout (it ticks) and
 * the trailing entry `id=` (a hash of a per-boot random seed) removed, and
 * the column padding collapsed to single spaces. Everything else is kept,
 * including the ICMP `id=` inside the tuples.
 */
export function normalizeConntrack(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => /^ipv[46]$/.test(fields[0]))
    .map((fields) => {
      // Fields: l3 name, l3 number, l4 name, l4 number, timeout, ...
      const kept = [...fields.slice(0, 4), ...fields.slice(5)];
      if (kept.at(-1)?.startsWith("id=")) kept.pop();
      return kept.join(" ");
    })
    .sort();
}
