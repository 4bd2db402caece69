// Errors carry a source span and render exactly as nft prints them:
// "FILE:LINE:COL-COL: Error: message", the source line, and carets under
// the span (tabs in the line are kept so the carets line up).

export interface SourceFile {
  name: string;
  text: string;
}

export interface Location {
  file: SourceFile;
  line: number;
  column: number;
  endColumn: number;
}

export class NftError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endColumn: number;

  constructor(loc: Location, detail: string, also?: Location) {
    super(render(loc, detail, also));
    this.name = 'NftError';
    this.file = loc.file.name;
    this.line = loc.line;
    this.column = loc.column;
    this.endColumn = loc.endColumn;
  }

  static at(loc: Location, detail: string): NftError {
    return new NftError(loc, detail);
  }

  // An error about two expressions of a binary operation: carets under
  // the one at fault, tildes under the other where it is elsewhere on the
  // line, as nft marks them.
  static between(loc: Location, other: Location, detail: string): NftError {
    return new NftError(loc, detail, other);
  }
}

function render(loc: Location, detail: string, also?: Location): string {
  const text = loc.file.text.split('\n')[loc.line - 1] ?? '';
  const marks: string[] = [];
  const mark = (l: Location, c: string): void => {
    for (let i = l.column; i <= Math.max(l.column, l.endColumn); i++) marks[i - 1] = c;
  };
  if (also && also.line === loc.line && (also.column !== loc.column || also.endColumn !== loc.endColumn)) mark(also, '~');
  mark(loc, '^');
  let marker = '';
  for (let i = 0; i < marks.length; i++) marker += marks[i] ?? (text[i] === '\t' ? '\t' : ' ');
  return `${loc.file.name}:${loc.line}:${loc.column}-${loc.endColumn}: Error: ${detail}\n${text}\n${marker}`;
}

export function span(from: Location, to: Location): Location {
  if (from.line !== to.line) return from;
  return { file: from.file, line: from.line, column: from.column, endColumn: Math.max(from.endColumn, to.endColumn) };
}
