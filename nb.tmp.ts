import { createEngine } from './src/index.js';
import { benchNotebook } from './bench/notebook.js';
const engine = await createEngine({});
console.log(JSON.stringify(await benchNotebook(engine, Number(process.env.R ?? 20))));
await engine.close();
