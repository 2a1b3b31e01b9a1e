// The entry point of every benchmark child process: `node child.js '<task json>'` (see runner.ts).
import { runChild } from './runner';

runChild(process.argv.slice(2));
