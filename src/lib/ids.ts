import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
let lastTime = 0;
let counter = 0;

/**
 * A new id: `<prefix>_` + 10 characters of milliseconds + 2 of a per-millisecond counter + 10 random,
 * in Crockford base32. Ids made by one process sort in creation order, which keeps "newest first"
 * and message order cheap to index.
 */
export function newId(prefix: string): string {
  const now = Date.now();
  if (now === lastTime) counter++;
  else {
    lastTime = now;
    counter = 0;
  }
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const seq = ALPHABET[(counter >> 5) & 31]! + ALPHABET[counter & 31]!;
  const bytes = randomBytes(10);
  let rand = '';
  for (const byte of bytes) rand += ALPHABET[byte & 31];
  return `${prefix}_${time}${seq}${rand}`;
}
