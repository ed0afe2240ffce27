import { CreateCommand } from './create';
import { DeleteCommand } from './delete';
import { EventsCommand } from './events';
import { ExecCommand } from './exec';
import { FeaturesCommand } from './features';
import { KillCommand } from './kill';
import { ListCommand } from './list';
import { PauseCommand } from './pause';
import { PsCommand } from './ps';
import { ResumeCommand } from './resume';
import { RunCommand } from './run';
import { SpecCommand } from './spec';
import { StartCommand } from './start';
import { StateCommand } from './state';
import { UpdateCommand } from './update';

export const commands = [
  CreateCommand, StartCommand, StateCommand, KillCommand, DeleteCommand, RunCommand, ListCommand, PsCommand, SpecCommand, FeaturesCommand,
  UpdateCommand, EventsCommand, PauseCommand, ResumeCommand, ExecCommand,
];
