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

  constructor(loc: Location, detail: string) {
    super(render(loc, detail));
    this.name = 'NftError';
    this.file = loc.file.name;
    this.line = loc.line;
    this.column = loc.column;
    this.endColumn = loc.endColumn;
  }

  static at(loc: Location, detail: string): NftError {
    return new NftError(loc, detail);
  }
}

function render(loc: Location, detail: string): string {
  const text = loc.file.text.split('\n')[loc.line - 1] ?? '';
  let marker = '';
  for (let i = 1; i < loc.column; i++) marker += text[i - 1] === '\t' ? '\t' : ' ';
  marker += '^'.repeat(Math.max(1, loc.endColumn - loc.column + 1));
  return `${loc.file.name}:${loc.line}:${loc.column}-${loc.endColumn}: Error: ${detail}\n${text}\n${marker}`;
}

export function span(from: Location, to: Location): Location {
  if (from.line !== to.line) return from;
  return { file: from.file, line: from.line, column: from.column, endColumn: Math.max(from.endColumn, to.endColumn) };
}
