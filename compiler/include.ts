// Where nft's `include "FILE"` looks (nftables' scanner.l): a name starting
// with /, ./ or ../ as it is (the last two from the working directory),
// any other in each include directory in turn (nft -I, /etc by default).
// A name with wildcards in its last part takes every file it matches, in
// order, and matching none is no error.

export interface IncludeAccess {
  readFile: (path: string) => string;
  // The names in a directory; without it wildcards match nothing.
  listDir?: (dir: string) => string[];
}

export const DEFAULT_INCLUDE_DIRS = ['/etc'];

const WILDCARD = /[*?[]/;

// The files to read for one include, or undefined when a file without
// wildcards is nowhere to be found.
export function includeFiles(path: string, dirs: readonly string[], access: IncludeAccess): string[] | undefined {
  const searched = !(path.startsWith('/') || path.startsWith('./') || path.startsWith('../'));
  const candidates = searched ? dirs.map((d) => `${d.replace(/\/$/, '')}/${path}`) : [path];
  let found = false;
  for (const full of candidates) {
    if (WILDCARD.test(full)) {
      const matches = glob(full, access);
      if (matches.length > 0) return matches;
      found = true;
      continue;
    }
    if (readable(full, access)) return [full];
    found = false;
  }
  return found ? [] : undefined;
}

function readable(path: string, access: IncludeAccess): boolean {
  try {
    access.readFile(path);
    return true;
  } catch {
    return false;
  }
}

// glob(3) over the last part of the path: * and ? match within a name but
// not a leading dot, [...] a set of characters.
function glob(pattern: string, access: IncludeAccess): string[] {
  const slash = pattern.lastIndexOf('/');
  const dir = slash < 0 ? '.' : pattern.slice(0, slash) || '/';
  const base = pattern.slice(slash + 1);
  if (WILDCARD.test(dir) || !access.listDir) return [];
  let names: string[];
  try {
    names = access.listDir(dir);
  } catch {
    return [];
  }
  const re = new RegExp(`^${base.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
  const prefix = slash < 0 ? '' : pattern.slice(0, slash + 1);
  return names
    .filter((n) => re.test(n) && (!n.startsWith('.') || base.startsWith('.')))
    .sort()
    .map((n) => prefix + n)
    .filter((p) => readable(p, access));
}
