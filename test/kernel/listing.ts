// Reads rule counters out of `nft list ruleset` (or `nft -a list ruleset`)
// so they can be compared rule by rule with nftwasm's listing.

export interface RuleCounter {
  /** Family and name, e.g. "inet filter". */
  table: string;
  chain: string;
  /**
   * The rule as listed with the counter's values taken out, so it reads as
   * written in the ruleset: "tcp dport 22 counter drop".
   */
  rule: string;
  /** Present when the listing came from `nft -a`. */
  handle?: number;
  packets: number;
  bytes: number;
}

const TABLE = /^table (\S+) (\S+) \{$/;
const CHAIN = /^chain (.+) \{$/;
const COUNTER_VALUES = / packets (\d+) bytes (\d+)/;
const HANDLE = /\s*# handle (\d+)$/;

/**
 * One entry per rule with a counter, in listing order. A rule with several
 * counter statements is reported with its first one: later ones can only
 * count the same packets or fewer, and nftwasm reports them the same way.
 */
export function parseListingCounters(listing: string): RuleCounter[] {
  const counters: RuleCounter[] = [];
  // Blocks opened by table, chain, set, map, flowtable, ct helper...: only
  // lines directly inside a chain block are rules.
  const blocks: string[] = [];
  let table = "";
  let chain = "";
  for (const rawLine of listing.split("\n")) {
    const handleMatch = HANDLE.exec(rawLine);
    const line = (handleMatch ? rawLine.slice(0, handleMatch.index) : rawLine).trim();
    if (line === "") continue;
    if (line === "}") {
      blocks.pop();
      continue;
    }
    if (line.endsWith("{")) {
      const tableMatch = TABLE.exec(line);
      const chainMatch = blocks.at(-1) === "table" ? CHAIN.exec(line) : null;
      if (tableMatch) table = `${tableMatch[1]} ${tableMatch[2]}`;
      if (chainMatch) chain = chainMatch[1];
      blocks.push(tableMatch ? "table" : chainMatch ? "chain" : "other");
      continue;
    }
    if (blocks.at(-1) !== "chain") continue;
    const counterMatch = COUNTER_VALUES.exec(line);
    if (!counterMatch || !/\bcounter$/.test(line.slice(0, counterMatch.index))) continue;
    counters.push({
      table,
      chain,
      rule: line.replace(COUNTER_VALUES, ""),
      ...(handleMatch ? { handle: Number(handleMatch[1]) } : {}),
      packets: Number(counterMatch[1]),
      bytes: Number(counterMatch[2]),
    });
  }
  return counters;
}

// The set and map blocks of a listing, the time left before elements
// expire blanked (it depends on when each side lists them).
export const setBlocks = (listing: string): string[] =>
  (listing.match(/\t(?:set|map) [^\n]*\{\n(?:\t\t[^\n]*\n)*\t\}/g) ?? []).map((b) => b.replace(/ expires [0-9hms]+/g, " expires ?"));
