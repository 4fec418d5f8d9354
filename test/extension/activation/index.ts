import { runMocha } from '../support/run-mocha';

export function run(): Promise<void> {
  return runMocha(__dirname);
}
