// Tables that double when full: what they hold is copied into memory twice
// the size, and the new half is zeroed, as a fresh table's is.
export function doubled(table: usize, bytes: usize): usize {
  const grown = heap.alloc(bytes * 2);
  memory.copy(grown, table, bytes);
  memory.fill(grown + bytes, 0, bytes);
  heap.free(table);
  return grown;
}
