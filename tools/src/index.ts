export { packAndImport } from './pack-check';
