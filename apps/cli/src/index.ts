export { runCli, COMMANDS } from './cli';
