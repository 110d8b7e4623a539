import type { CommandHandler } from './types';
import { RuntimeError } from '../problems';

// Placeholder until issue 3 lands.
export const check: CommandHandler = async () => {
  throw new RuntimeError('check is not implemented yet');
};
