import type { CommandHandler } from './types';
import { RuntimeError } from '../problems';

// Placeholder until issue 3 lands.
export const explain: CommandHandler = async () => {
  throw new RuntimeError('explain is not implemented yet');
};
