// nft's suggestions for a name that is not there ("did you mean table ‘t’
// in family ip?"): misspell.c, computed exactly as nft computes it, so that
// the same names are suggested. Its distance reads each string one
// character on and lays the matrix out one column short, and both quirks
// decide which name wins; they are kept.

function stringDistance(a: string, b: string): number {
  const la = a.length;
  const lb = b.length;
  const d = new Array<number>((la + 1) * (lb + 1)).fill(0);
  const at = (i: number, j: number): number => i * lb + j;
  for (let i = 0; i <= la; i++) d[at(i, 0)] = i;
  for (let j = 0; j <= lb; j++) d[at(0, j)] = j;
  for (let i = 1; i <= la; i++) {
    for (let j = 1; j <= lb; j++) {
      // Past the end both strings read as their terminating NUL.
      const sub = a[i] === b[j] ? 0 : 1;
      d[at(i, j)] = Math.min(d[at(i - 1, j)]! + 1, d[at(i, j - 1)]! + 1, d[at(i - 1, j - 1)]! + sub);
      if (i > 1 && j > 1 && a[i] === b[j - 1] && a[i - 1] === b[j]) d[at(i, j)] = Math.min(d[at(i, j)]!, d[at(i - 2, j - 2)]! + sub);
    }
  }
  return d[at(la, lb)]!;
}

// The candidate nft would suggest for `wanted`, if any: the first of the
// closest within a threshold that grows with the names' length.
export function closestName<T>(wanted: string, candidates: Iterable<[string, T]>): T | undefined {
  let best: T | undefined;
  let min = Infinity;
  for (const [name, value] of candidates) {
    const max = Math.max(name.length, wanted.length);
    const minLen = Math.min(name.length, wanted.length);
    if (max <= 1) continue;
    const threshold = max - minLen <= 1 ? Math.max(Math.ceil(max / 3), 1) : Math.ceil((max + 2) / 3);
    const distance = stringDistance(name, wanted);
    if (distance <= threshold && distance < min) {
      min = distance;
      best = value;
    }
  }
  return best;
}
