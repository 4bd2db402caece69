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
  // The line printed under the message when it is not `line`: nft shows
  // the end of a file that ends with a newline under the last line.
  shownLine?: number;
}

export class NftError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endColumn: number;
  // Every error found in the input, this one first: nft goes on after an
  // error and reports up to ten (MAX_ERRORS), and so does the compiler.
  readonly errors: readonly NftError[];
  // Found where nft finds it only once the kernel has the batch: nft
  // reports such errors only when nothing else is wrong.
  readonly fromKernel: boolean;

  private constructor(at: { file: string; line: number; column: number; endColumn: number }, message: string, errors?: readonly NftError[], fromKernel = false) {
    super(message);
    this.fromKernel = fromKernel;
    this.name = 'NftError';
    this.file = at.file;
    this.line = at.line;
    this.column = at.column;
    this.endColumn = at.endColumn;
    this.errors = errors ?? [this];
  }

  static at(loc: Location, detail: string): NftError {
    return new NftError(where(loc), render(loc, detail));
  }

  // The kernel's refusal of the batch, as nft words it.
  static kernel(loc: Location, detail: string): NftError {
    return new NftError(where(loc), render(loc, `Could not process rule: ${detail}`), undefined, true);
  }

  // An error about two expressions of a binary operation: carets under
  // the one at fault, tildes under the other where it is elsewhere on the
  // line, as nft marks them (none when the other is not known).
  static between(loc: Location, other: Location | undefined, detail: string): NftError {
    return new NftError(where(loc), render(loc, detail, other));
  }

  // The error as nft prints it in a file another included: a line for each
  // include that led there, innermost first.
  static includedFrom(e: NftError, from: readonly Location[]): NftError {
    const lines = from.map((l, i) => `${i === 0 ? 'In file included from' : '                 from'} ${l.file.name}:${l.line}:${l.column}-${l.endColumn}:`);
    return new NftError(e, [...lines, e.message].join('\n'), undefined, e.fromKernel);
  }

  // One error standing for several: the first one's place, all their
  // messages one after the other, as nft prints them.
  static all(errors: readonly NftError[]): NftError {
    if (errors.length === 1) return errors[0]!;
    return new NftError(errors[0]!, errors.map((e) => e.message).join('\n'), errors);
  }
}

// nft's parser_max_errors: parsing stops at the tenth error, evaluation
// reports no more than that.
export const MAX_ERRORS = 10;

function where(loc: Location): { file: string; line: number; column: number; endColumn: number } {
  return { file: loc.file.name, line: loc.line, column: loc.column, endColumn: loc.endColumn };
}

function render(loc: Location, detail: string, also?: Location): string {
  const text = loc.file.text.split('\n')[(loc.shownLine ?? loc.line) - 1] ?? '';
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
