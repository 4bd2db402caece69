// How text meant for a person is coloured, apart from the terminal painter
// in style.ts: formatters that the browser bundle shares name only this.
export type Colour = 'green' | 'red' | 'yellow' | 'cyan' | 'bold' | 'dim';

export type Paint = (colour: Colour, text: string) => string;
