/**
 * How typed instructions resolve their words: with the step's variables at dispatch, or not at
 * all for the parse-time check that dockerd runs over the whole Dockerfile before step 1.
 */
import { expandWord, expandWords } from './expand-words.js';
import type { VariableLookup } from './instructions.js';

export interface Expansion {
  /** ProcessWord: quotes removed, variables expanded. */
  word(text: string): string;
  /** ProcessWords: the same, split into words. */
  words(text: string): string[];
  /** False for the parse-time check, where values are still as written: skip value checks. */
  readonly expanded: boolean;
}

export function expandWith(lookup: VariableLookup, escape: string): Expansion {
  return {
    word: (text) => expandWord(text, lookup, escape),
    words: (text) => expandWords(text, lookup, escape),
    expanded: true,
  };
}

/** Leaves every word as written: the parse-time check looks at structure only. */
export const NO_EXPANSION: Expansion = {
  word: (text) => text,
  words: (text) => text.split(/\s+/).filter((w) => w !== ''),
  expanded: false,
};
