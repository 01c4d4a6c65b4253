/** Container names: Docker's rules and generated adjective_scientist names. */
import { randomInt } from 'node:crypto';
import { InvalidArgumentError } from '../../errors.js';

const VALID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function validateName(name: string): string {
  const n = name.replace(/^\//, '');
  if (!VALID.test(n))
    throw new InvalidArgumentError(
      `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
    );
  return n;
}

const LEFT = [
  'admiring',
  'agile',
  'amazing',
  'bold',
  'brave',
  'busy',
  'calm',
  'clever',
  'cool',
  'crisp',
  'dazzling',
  'eager',
  'elastic',
  'epic',
  'fervent',
  'focused',
  'gallant',
  'gentle',
  'happy',
  'hopeful',
  'jolly',
  'keen',
  'kind',
  'lucid',
  'modest',
  'nifty',
  'noble',
  'patient',
  'quick',
  'quiet',
  'relaxed',
  'serene',
  'sharp',
  'stoic',
  'sweet',
  'tender',
  'trusting',
  'upbeat',
  'vibrant',
  'wizardly',
  'zealous',
];
const RIGHT = [
  'agnesi',
  'babbage',
  'bardeen',
  'bohr',
  'boole',
  'cerf',
  'curie',
  'darwin',
  'dijkstra',
  'einstein',
  'euler',
  'feynman',
  'fermat',
  'galileo',
  'gauss',
  'goldberg',
  'hamilton',
  'hopper',
  'hypatia',
  'kepler',
  'knuth',
  'lamport',
  'liskov',
  'lovelace',
  'maxwell',
  'meitner',
  'newton',
  'noether',
  'pascal',
  'ritchie',
  'shannon',
  'thompson',
  'torvalds',
  'turing',
  'wozniak',
  'yonath',
];

export function generateName(taken: (n: string) => boolean): string {
  for (let i = 0; i < 100; i++) {
    const name = `${LEFT[randomInt(LEFT.length)] ?? 'skiff'}_${RIGHT[randomInt(RIGHT.length)] ?? 'container'}`;
    const candidate = i < 10 ? name : `${name}${randomInt(10)}`;
    if (!taken(candidate)) return candidate;
  }
  return `skiff_${Date.now()}`;
}
