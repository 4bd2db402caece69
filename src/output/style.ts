// Colours for text meant for a person: only on a terminal, never when
// NO_COLOR is set, so pipes and files get plain text.
import { styleText } from 'node:util';

export type Colour = 'green' | 'red' | 'yellow' | 'cyan' | 'bold' | 'dim';

export type Paint = (colour: Colour, text: string) => string;

export function painterFor(stream: { isTTY?: boolean }): Paint {
  const on = !!stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  return on ? (colour, text) => styleText(colour, text) : (_colour, text) => text;
}

export const plain: Paint = (_colour, text) => text;
