// Colours for text meant for a person: only on a terminal, never when
// NO_COLOR is set, so pipes and files get plain text.
import { styleText } from 'node:util';
import type { Paint } from './paint.js';

export type { Colour, Paint } from './paint.js';

export function painterFor(stream: { isTTY?: boolean }): Paint {
  const on = !!stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  // The decision is made here for the stream given; styleText's own check
  // looks at standard output and distrusts any terminal when CI is set.
  return on ? (colour, text) => styleText(colour, text, { validateStream: false }) : (_colour, text) => text;
}
