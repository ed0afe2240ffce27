import { CreateCommand } from './create';
import { DeleteCommand } from './delete';
import { FeaturesCommand } from './features';
import { KillCommand } from './kill';
import { ListCommand } from './list';
import { PsCommand } from './ps';
import { RunCommand } from './run';
import { SpecCommand } from './spec';
import { StartCommand } from './start';
import { StateCommand } from './state';

export const commands = [
  CreateCommand, StartCommand, StateCommand, KillCommand, DeleteCommand, RunCommand, ListCommand, PsCommand, SpecCommand, FeaturesCommand,
];
