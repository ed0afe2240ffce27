/**
 * Container ids and names: 64 hex digits, as Docker; a generated name is
 * `adjective_name`, in the spirit of Docker's namesgenerator.
 */
import { randomBytes, randomInt } from 'node:crypto';

const LEFT = ['admiring', 'bold', 'brave', 'calm', 'clever', 'eager', 'focused', 'gallant', 'happy', 'jolly', 'keen', 'nifty', 'quirky', 'serene', 'sharp', 'vibrant'];
const RIGHT = ['babbage', 'curie', 'darwin', 'euler', 'gauss', 'hopper', 'kepler', 'lovelace', 'noether', 'pascal', 'ritchie', 'shannon', 'thompson', 'turing', 'wozniak', 'yalow'];

/** Docker's rule for --name. */
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function newContainerId(): string {
  return randomBytes(32).toString('hex');
}

export function generateName(): string {
  return `${LEFT[randomInt(LEFT.length)]}_${RIGHT[randomInt(RIGHT.length)]}`;
}
