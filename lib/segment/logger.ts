/** Where the engine reports what it did on its own (a truncated torn tail, a seal). Nest's Logger fits. */
export interface ChainstoreLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const consoleLogger: ChainstoreLogger = {
  log: (message) => console.log(`[chainstore] ${message}`),
  warn: (message) => console.warn(`[chainstore] ${message}`),
  error: (message) => console.error(`[chainstore] ${message}`),
};

export const silentLogger: ChainstoreLogger = { log: () => {}, warn: () => {}, error: () => {} };
