/**
 * The resources controllers use: the client kit's one catalog (src/client/resources.ts), kept
 * importable from here so every controller names resources the same way.
 */
export * from '../../client/resources.js';
